import type { z } from 'zod';
import { AppError } from '../../../common/errors';
import type { ApprovalContext } from '../../../common/firewall-protocol';
import type { CallerContext, CommandOutcome, CommandRequest, CommandResult, ControlPlaneClient } from '../../control-plane/types';

/*
 * What the infrastructure providers (Terraform, Pulumi, CloudFormation) answer alike: a
 * finished command, a held one, the changes that go with an approval, and the reads that must
 * run at once before an approval is asked for.
 */

/** A finished command as manage-infrastructure answers it (the provider adds what it read from the output). */
export function finished(r: CommandResult, ok: boolean) {
  return { status: 'finished' as const, ok, exitCode: r.exitCode, timedOut: r.timedOut, stderr: r.stderr, truncated: r.truncated, durationMs: r.durationMs, outputSha256: r.outputSha256 };
}

/** A tool's JSON output read with its schema: undefined when it printed none or something else. */
export function parseJson<T>(text: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A read made before an approval is asked for (the changes it will list), which must run now
 * (`hold: false`): its result, or why there is none (the policy holds it, it failed). Other
 * refusals (denied, busy) reach the caller.
 */
export async function readNow(controlPlane: Pick<ControlPlaneClient, 'runCommand'>, request: CommandRequest, caller: CallerContext, what: string): Promise<{ result: CommandResult } | { unavailable: string }> {
  let outcome: CommandOutcome;
  try {
    outcome = await controlPlane.runCommand({ ...request, hold: false }, caller);
  } catch (err) {
    if (err instanceof AppError && err.code === 'APPROVAL_REQUIRED') return { unavailable: `the firewall policy holds ${what}, so it did not run` };
    throw err;
  }
  // A control plane that does not know `hold` holds it anyway.
  if (outcome.status !== 'finished') return { unavailable: `${what} was held for approval` };
  return { result: outcome.result };
}

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
export function approvalContext(changes: ReadonlyArray<{ action: string; logicalId: string; type: string }> | null | undefined, source?: string): { context: ApprovalContext } | Record<string, never> {
  if (!changes?.length) return {};
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  return { context: { changes: changes.slice(0, 500).map((c) => ({ action: cut(c.action, 40), logicalId: cut(c.logicalId, 1_000), type: cut(c.type, 300) })), ...(source ? { source: cut(source, 300) } : {}) } };
}
