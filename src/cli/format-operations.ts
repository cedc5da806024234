import type { ApprovalView, BudgetView, CostReport, MemoryHit, Remembered } from './client';
import { jsonText, printable, shortTime, table } from './format';

/** The command as it would be typed, arguments with spaces quoted. */
function commandLine(a: ApprovalView): string {
  const words = [a.command, ...a.args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`));
  return printable(words.join(' '));
}

export function formatApprovals(approvals: ApprovalView[], filtered: boolean): string {
  if (approvals.length === 0) return filtered ? 'No approvals with this status.' : 'No commands have been held for approval.';
  const rows = approvals.map((a) => [a.id, a.status, commandLine(a).slice(0, 60), printable(a.requestedBy), shortTime(a.createdAt), a.status === 'pending' ? shortTime(a.expiresAt) : '-']);
  const pending = approvals.filter((a) => a.status === 'pending').length;
  const hint = pending ? `\n\n${pending} pending: jarvis approvals approve ID [--reason TEXT] | jarvis approvals deny ID --reason TEXT` : '';
  return `${table(['ID', 'STATUS', 'COMMAND', 'REQUESTED BY', 'CREATED', 'EXPIRES'], rows)}${hint}`;
}

/** Changes `approvals get` prints; --json has them all. */
const SHOWN_CHANGES = 50;

export function formatApproval(a: ApprovalView): string {
  const lines = [
    `Approval ${a.id}: ${a.status}`,
    `  command:      ${commandLine(a)}`,
    `  directory:    ${printable(a.cwd)}`,
    `  rule:         ${printable(a.rule)}${a.subcommand ? ` (${printable(a.subcommand)})` : ''}`,
    `  why held:     ${printable(a.reason)}`,
    `  requested by: ${printable(a.requestedBy)} at ${shortTime(a.createdAt)}`,
  ];
  const changes = a.context?.changes ?? [];
  if (changes.length) {
    lines.push(`  changes:      ${changes.length} (what the command carries out, as the service that asked saw it${a.context?.source ? `: ${printable(a.context.source)}` : ''})`);
    for (const c of changes.slice(0, SHOWN_CHANGES)) lines.push(`    ${printable(c.action).padEnd(8)} ${printable(c.logicalId)}${c.type ? ` (${printable(c.type)})` : ''}`);
    if (changes.length > SHOWN_CHANGES) lines.push(`    … and ${changes.length - SHOWN_CHANGES} more (--json lists them all)`);
  }
  if (a.status === 'pending') lines.push(`  expires:      ${shortTime(a.expiresAt)}`);
  if (a.decidedBy) lines.push(`  decided by:   ${printable(a.decidedBy)} at ${shortTime(a.decidedAt)}${a.decisionNote ? `: ${printable(a.decisionNote)}` : ''}`);
  if (a.result !== null && a.result !== undefined) lines.push('  result:', jsonText(a.result).replace(/^/gm, '    '));
  return lines.join('\n');
}

export function formatDecided(a: ApprovalView, verb: 'approve' | 'deny'): string {
  const what = `${commandLine(a)} (requested by ${printable(a.requestedBy)})`;
  if (verb === 'deny') return `Denied ${a.id}: ${what}. It will not run.`;
  return `Approved ${a.id}: ${what}.\nIt is checked against the policy again and runs now; its result: jarvis approvals get ${a.id}`;
}

const usd = (n: number | null) => (n === null ? '-' : `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 2)}`);

export function formatCosts(report: CostReport, budget: BudgetView): string {
  const range = `${report.from.slice(0, 10)} to ${shortTime(report.to)}`;
  const lines: string[] = [];
  if (report.rows.length === 0) lines.push(`No AI calls from ${range}.`);
  else {
    const rows = report.rows.map((r) => [
      printable(r.key),
      String(r.calls),
      String(r.failedCalls),
      String(r.inputTokens),
      String(r.outputTokens),
      usd(r.costUsd),
      r.avgLatencyMs === null ? '-' : `${Math.round(r.avgLatencyMs)} ms`,
    ]);
    lines.push(`AI spend by ${report.groupBy}, ${range}:`, '', table([report.groupBy.toUpperCase(), 'CALLS', 'FAILED', 'IN TOKENS', 'OUT TOKENS', 'COST', 'AVG LATENCY'], rows));
    lines.push('', `Total: ${report.total.calls} call(s), ${report.total.inputTokens} + ${report.total.outputTokens} tokens, ${usd(report.total.costUsd)}`);
  }
  const scopes = budget.scopes.map((b) => [printable(b.scope), usd(b.limitUsd), usd(b.spentUsd), usd(b.reservedUsd), usd(b.remainingUsd), b.usedPercent === null ? '-' : `${b.usedPercent.toFixed(1)}%`, printable(b.state)]);
  lines.push('', `Budget for ${printable(budget.month).slice(0, 7)} (alert at ${budget.softAlertPercent}%):`, '', table(['SCOPE', 'LIMIT', 'SPENT', 'RESERVED', 'REMAINING', 'USED', 'STATE'], scopes));
  return lines.join('\n');
}

export function formatRecall(hits: MemoryHit[]): string {
  if (hits.length === 0) return 'Nothing recalled.';
  return hits
    .map((h, i) => {
      const where = [h.projectId && `project ${h.projectId}`, h.agent && `agent ${h.agent}`, h.sessionId && `session ${h.sessionId}`].filter(Boolean).map((w) => printable(w as string));
      const similarity = h.similarity === null ? '' : `, similarity ${h.similarity.toFixed(2)}`;
      return `${i + 1}. [${printable(h.type)}] ${printable(h.content)}\n   ${h.id}, ${shortTime(h.updatedAt)}, score ${h.score.toFixed(4)}${similarity}${where.length ? `, ${where.join(', ')}` : ''}`;
    })
    .join('\n');
}

export function formatRemembered(r: Remembered): string {
  if (r.action === 'updated') return `Updated memory ${r.memory.id}: it nearly repeated it (similarity ${(r.similarity ?? 1).toFixed(2)}).`;
  return `Remembered as ${r.memory.id} (${printable(r.memory.type)}, user ${printable(r.memory.userId ?? '-')}).`;
}
