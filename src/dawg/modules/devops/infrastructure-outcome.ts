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
