import { CONNECTION, EXIT } from './help-common';

/** Help of `jarvis approvals`, `jarvis costs` and `jarvis memory`. */

const APPROVALS = `Usage:
  jarvis approvals list [--status STATUS] [--limit N] [--json]
  jarvis approvals get ID [--json]
  jarvis approvals approve ID [--reason TEXT] [--json]
  jarvis approvals deny ID --reason TEXT [--json]`;

const APPROVE = (verb: 'approve' | 'deny') => `jarvis approvals ${verb}: ${verb === 'approve' ? 'let a held command run' : 'refuse a held command; it never runs'}

Usage:
  jarvis approvals ${verb} ID ${verb === 'approve' ? '[--reason TEXT]' : '--reason TEXT'} [--json]

ID is the apr_... id shown by \`jarvis approvals list\`. Needs a key with the
admin scope, and not the key that asked for the command (403). An approval
already decided or expired answers 409.${verb === 'approve' ? ' An approved command is checked\nagainst the current policy again, then runs; `jarvis approvals get ID` shows\nits result.' : ''}

Options:
  --reason TEXT       ${verb === 'approve' ? 'why it may run (optional' : 'why it is refused (required'}; at most 1000 characters),
                      recorded with the decision and in the audit log
  --json              print the decided approval as JSON

${CONNECTION}

${EXIT}`;

export const OPERATIONS_TOPICS = {
  approvals: `jarvis approvals: commands the terminal firewall holds for a person

${APPROVALS}

Listing and reading need a key with the devops scope; deciding, the admin scope.

${CONNECTION}

${EXIT}`,
  'approvals list': `jarvis approvals list: held commands and their outcomes, newest first

Usage:
  jarvis approvals list [--status STATUS] [--limit N] [--json]

Options:
  --status STATUS     pending, approved, running, finished, failed, denied or
                      expired
  --limit N           at most N (1-500, default 50)
  --json              print a JSON array

${CONNECTION}

${EXIT}`,
  'approvals get': `jarvis approvals get: one approval, with the command's result once it ran

Usage:
  jarvis approvals get ID [--json]

${CONNECTION}

${EXIT}`,
  'approvals approve': APPROVE('approve'),
  'approvals deny': APPROVE('deny'),
  costs: `jarvis costs: AI spend and budgets

Usage:
  jarvis costs [--by day|model|caller] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]

Spend from the AI router's ledger (calls, failed calls, tokens, cost, average
latency), this UTC month unless --from/--to say otherwise, then this month's
budgets: the global one and the calling key's. Needs a key with the admin scope.

Options:
  --by GROUP          group by day (default), model or caller (API key)
  --from DATE         first day included (UTC)
  --to DATE           last day included (UTC)
  --json              print {costs, budget} as the server answered them

${CONNECTION}

${EXIT}`,
  memory: `jarvis memory: what Jarvis remembers for the calling key's user

Usage:
  jarvis memory recall QUERY... [--k N] [--type TYPE] [--user ID] [--json]
  jarvis memory remember TEXT... [--type TYPE] [--user ID] [--json]

${CONNECTION}

${EXIT}`,
  'memory recall': `jarvis memory recall: the memories closest to QUERY, best first

Usage:
  jarvis memory recall QUERY... [--k N] [--type TYPE] [--user ID] [--json]

The words after \`recall\` are the query (quotes are optional). Search is by
meaning and by words, fused.

Options:
  --k N               how many (1-50, default 5)
  --type TYPE         only memories of this type (note, fact, preference, ...)
  --user ID           another user's memories (admin keys only; default: the
                      calling key's own)
  --json              print the hits as JSON

Example:
  jarvis memory recall how loud for spotify --k 3

${CONNECTION}

${EXIT}`,
  'memory remember': `jarvis memory remember: store a memory

Usage:
  jarvis memory remember TEXT... [--type TYPE] [--user ID] [--json]

A near repeat of an existing memory updates it instead of adding another.

Options:
  --type TYPE         note (default), fact, preference, ...: lowercase
  --user ID           whose memory it is (admin keys only; default: the calling key)
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`,
} as const;
