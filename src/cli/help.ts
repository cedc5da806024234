import type { HelpTopic } from './args';
import { CONNECTION, EXIT } from './help-common';
import { OPERATIONS_TOPICS } from './help-operations';
import { TASK_TOPICS } from './help-tasks';
import { PRODUCTION_TOPICS } from './help-production';

const MAIN = `jarvis: operate a running Jarvis control plane

Usage:
  jarvis agents [list|stats] [--json]
  jarvis task submit AGENT TASK_TYPE [--payload JSON | --payload-file FILE]
                     [--priority P] [--wait [--cancel-on-interrupt]] [--json]
  jarvis task get TASK_ID [--wait] [--json]
  jarvis task cancel [AGENT] TASK_ID [--json]
  jarvis approvals list [--status STATUS] [--limit N] [--json]
  jarvis approvals get ID [--json]
  jarvis approvals approve ID [--reason TEXT] [--json]
  jarvis approvals deny ID --reason TEXT [--json]
  jarvis costs [--by day|model|caller] [--from DATE] [--to DATE] [--json]
  jarvis produce PROMPT [--title T] [--duration S] [--platform P] [--wait] [--json]
  jarvis catalog list [--limit N] [--json]
  jarvis catalog get TRACK_ID [--json]
  jarvis infra plan|apply|destroy|validate|refresh --provider P [--workspace W]
               [--target T]... [--json]
  jarvis memory recall QUERY... [--k N] [--type TYPE] [--user ID] [--json]
  jarvis memory remember TEXT... [--type TYPE] [--user ID] [--json]
  jarvis keys create --name NAME [--scope admin] [--scope devops] [--json]
  jarvis keys list [--all] [--json]
  jarvis keys revoke ID [--json]
  jarvis audit verify [--json]
  jarvis suggestions [list] [--json]
  jarvis suggestions dismiss ID [--json]
  jarvis suggestions feedback [--json]
  jarvis suggestions forget ID [--json]
  jarvis suggestions channels [--json]
  jarvis suggestions test webhook|email [--json]
  jarvis help [COMMAND [SUBCOMMAND]]
  jarvis --version

Keys, audit, costs, deciding approvals and testing suggestion channels need an
API key with the admin scope; listing approvals and infra the devops scope;
agents, tasks, productions, the catalog, memory and suggestions any valid key.

${CONNECTION}

Example:
  export JARVIS_API_KEY=jrv_...        # better: read it from your secret store
  jarvis task submit QualityAssurance system-health-check --wait

Exit codes: 0 success, 1 server or network error (or, with --wait, the task
failed or was cancelled), 2 usage error, 130 Ctrl-C stopped a wait.`;

const SUGGESTIONS = `jarvis suggestions: what the proactive system found worth attention

Usage:
  jarvis suggestions [list] [--json]
  jarvis suggestions dismiss ID [--json]
  jarvis suggestions feedback [--json]
  jarvis suggestions forget ID [--json]
  jarvis suggestions channels [--json]
  jarvis suggestions test webhook|email [--json]

Lists the active suggestions, most severe first, each with what was measured
and what to do: AI budget burn, repeated task failures, approvals about to
expire, open circuit breakers, schedules that stopped firing, firing alerts and
breached SLOs (docs/PROACTIVE.md). An admin key sees all of them, other keys
those about their own tasks, schedules and budget. One this key keeps
dismissing is marked muted: it is no longer pushed to the key.

Options:
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`;

const AUDIT_VERIFY = `jarvis audit verify: check that the audit log was not altered

Usage:
  jarvis audit verify [--json]

The control plane recomputes the audit log's hash chain (from the checkpoint the
retention prune left, if any) and names the first entry that was edited, deleted
or moved. With REDIS_URL or AUDIT_WITNESS_FILE set on the control plane, it also
checks that the newest entries of the Redis mirror, or the chain heads in the
witness file, are still in the database unchanged (newest entries cut off, tail
rewritten). Exit code 0 when the log is intact, 1 when it
is broken (the first broken entry is printed) or the check could not run.

Options:
  --json              print the server's verdict as JSON

${CONNECTION}

Exit codes: 0 intact, 1 broken or server or network error, 2 usage error.`;

const TOPICS: Record<HelpTopic, string> = {
  keys: `jarvis keys: manage API keys

Usage:
  jarvis keys create --name NAME [--scope admin] [--scope devops] [--json]
  jarvis keys list [--all] [--json]
  jarvis keys revoke ID [--json]

Every valid key may call the integration routes (/api/v1/execute, /status).
Scopes add tiers: "admin" manages keys, "devops" the DevOps routes.

${CONNECTION}

${EXIT}`,
  'keys create': `jarvis keys create: create an API key and print it once

Usage:
  jarvis keys create --name NAME [--scope admin] [--scope devops] [--json]

Options:
  --name NAME         what the key is for (1-100 characters)
  --scope SCOPE       admin or devops; repeat it or separate with commas.
                      Without it the key has the integration tier only.
  --json              print the created key as JSON (includes the key)

The full key is shown only here: the server stores just its digest.

${CONNECTION}

${EXIT}`,
  'keys list': `jarvis keys list: list API keys (never their secrets)

Usage:
  jarvis keys list [--all] [--json]

Options:
  --all               include revoked keys
  --json              print a JSON array

${CONNECTION}

${EXIT}`,
  'keys revoke': `jarvis keys revoke: revoke an API key at once

Usage:
  jarvis keys revoke ID [--json]

ID is the 16-character id shown by \`jarvis keys list\` (the part after "jrv_"
in a key), never the key itself. Revoking is permanent and idempotent. The
server refuses to revoke the last active admin key (409): create another first.

Options:
  --json              print the revoked key's record as JSON

${CONNECTION}

${EXIT}`,
  audit: `jarvis audit: the audit log

Usage:
  jarvis audit verify [--json]

Command attempts and approvals (terminal firewall), authentication failures,
API requests and agent task events are recorded in a hash-chained audit log.
Browse it with GET /api/v1/audit (docs/API.md); check it with
\`jarvis audit verify\`.

${CONNECTION}`,
  'audit verify': AUDIT_VERIFY,
  suggestions: SUGGESTIONS,
  'suggestions list': SUGGESTIONS,
  'suggestions feedback': `jarvis suggestions feedback: what Jarvis learned from this key's dismissals

Usage:
  jarvis suggestions feedback [--json]

The suggestions this key dismissed lately, how often and at which severity. One
dismissed PROACTIVE_MUTE_AFTER_DISMISSALS times (default 3) within
PROACTIVE_MUTE_WINDOW_MS (default 14 days) is no longer pushed to the key over
WebSocket (it is still listed, marked muted) until it comes back more severe,
the dismissals age out, or \`jarvis suggestions forget ID\`.

Options:
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`,
  'suggestions channels': `jarvis suggestions channels: where suggestions are sent besides the dashboard

Usage:
  jarvis suggestions channels [--json]

The webhook and e-mail: whether each is configured (and how to configure it),
where it sends, from which severity, and what it did since the control plane
answering started: deliveries that arrived and failed, and the last failure
with its reason. FAILING while the last delivery failed for good (a later
reading sends it again). Needs an admin key.

Options:
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`,
  'suggestions test': `jarvis suggestions test: send a test message through a channel now

Usage:
  jarvis suggestions test webhook|email [--json]

Sends one test message, without retries, to the webhook (PROACTIVE_WEBHOOK_URL;
PagerDuty: an info alert resolved at once) or by e-mail to PROACTIVE_EMAIL_TO
(over SMTP_URL), and prints what the receiver answered: a way to check the URL,
the format, the secret, the SMTP server and its credentials before a real
suggestion needs them. Needs an admin key. Exit 1 with the receiver's answer
when it refused or did not answer, or when the channel is not configured.

Options:
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`,
  'suggestions forget': `jarvis suggestions forget: push a muted suggestion to this key again

Usage:
  jarvis suggestions forget ID [--json]

Forgets this key's dismissals of the suggestion ID (as shown by \`jarvis
suggestions feedback\`), on every control-plane instance.

Options:
  --json              print the server's answer as JSON

${CONNECTION}

${EXIT}`,
  'suggestions dismiss': `jarvis suggestions dismiss: hide a suggestion for this key

Usage:
  jarvis suggestions dismiss ID [--json]

ID as shown by \`jarvis suggestions\` (e.g. monitoring:api-availability). The
suggestion stays hidden for this key, on every control-plane instance, until its
signal clears; if the signal comes back it is raised again. Each dismissal is
remembered (see \`jarvis help suggestions feedback\`).

Options:
  --json              print the dismissed suggestion as JSON

${CONNECTION}

${EXIT}`,
  ...TASK_TOPICS,
  ...OPERATIONS_TOPICS,
  ...PRODUCTION_TOPICS,
};

export function helpText(topic?: HelpTopic): string {
  return topic ? TOPICS[topic] : MAIN;
}
