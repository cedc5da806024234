import type { ApprovalContext } from '../../../common/firewall-protocol';
import type { CommandOutcome } from '../../control-plane/types';

/** A command the firewall holds for an admin: where to decide it. */
export function heldForApproval(outcome: Extract<CommandOutcome, { status: 'pending-approval' }>) {
  const a = outcome.approval;
  return {
    status: 'pending-approval' as const,
    approvalId: a.id,
    expiresAt: a.expiresAt,
    command: { command: a.command, args: a.args, cwd: a.cwd },
    next: `An admin decides at POST /api/v1/approvals/${a.id}/approve (or /deny); the result is stored on the approval (GET /api/v1/approvals/${a.id})`,
  };
}

/** The changes a held command carries out, as the approval stores them (bounded: the first 500, each field cut to its limit). */
export function approvalContext(changes: ReadonlyArray<{ action: string; logicalId: string; type: string }> | null | undefined): { context: ApprovalContext } | Record<string, never> {
  if (!changes?.length) return {};
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  return { context: { changes: changes.slice(0, 500).map((c) => ({ action: cut(c.action, 40), logicalId: cut(c.logicalId, 1_000), type: cut(c.type, 300) })) } };
}
