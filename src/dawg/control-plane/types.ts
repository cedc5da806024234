import { z } from 'zod';
import { approvalSchema, commandResultSchema, type ApprovalContext, type ApprovalView, type AuditPageView } from '../../common/firewall-protocol';

export { approvalSchema, auditPageSchema, commandResultSchema, type ApprovalView, type AuditEntryView, type AuditPageView, type CommandResult } from '../../common/firewall-protocol';

/**
 * What the DAWG may ask of the control plane (DESIGN: the DAWG never spawns commands; every
 * command goes through the one terminal firewall and lands in the one audit log). The
 * control plane serves these under /internal/v1, authenticated with AI_DAWG_SERVICE_TOKEN.
 */

/** Who the DAWG is acting for: the API key id (or agent) that the control plane forwarded with the action. */
export interface CallerContext {
  actor: string;
  requestId: string;
  signal: AbortSignal;
}

/** What the control plane answers for source "jarvis" (the same shape as analytics.query's answer). */
export const jarvisQueryAnswerSchema = z.object({
  source: z.literal('jarvis'),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  durationMs: z.number(),
  hints: z.array(z.string()),
});
export type JarvisQueryAnswer = z.infer<typeof jarvisQueryAnswerSchema>;

export const commandOutcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('finished'), rule: z.string(), result: commandResultSchema }),
  z.object({ status: z.literal('pending-approval'), approval: approvalSchema }),
]);

/** GET /internal/v1/approvals: the newest approval matching, or null. */
export const latestApprovalAnswer = z.object({ approval: approvalSchema.nullable() });
export type CommandOutcome = z.infer<typeof commandOutcomeSchema>;

export interface CommandRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  /** false: the step must run now (a read, a plan); one the policy holds is refused with 409 APPROVAL_REQUIRED, no approval is made. */
  hold?: boolean;
  /** What the command would do (its plan's resource changes): stored with the approval if it is held. */
  context?: ApprovalContext;
}

export interface AuditFilter {
  type?: string;
  from?: string;
  to?: string;
  limit?: number;
  /** Cursor: entries with a lower seq than this (newest first). */
  before?: number;
}

export interface ControlPlaneClient {
  /** Runs a command through the firewall. A refusal rejects with the firewall's AppError (403 COMMAND_DENIED, 429 FIREWALL_BUSY...). */
  runCommand(request: CommandRequest, caller: CallerContext): Promise<CommandOutcome>;
  /** An approval's current state (the firewall stores the command's result on it once it ran). */
  approval(id: string, caller: CallerContext): Promise<ApprovalView>;
  /** The newest approval of `command` in `cwd` whose arguments include `arg` (any status), or null. */
  latestApproval(filter: { command: string; cwd: string; arg: string }, caller: CallerContext): Promise<ApprovalView | null>;
  /** Takes back a pending request of this actor (it ends denied, never runs); answers the approval as it now stands. */
  withdrawApproval(id: string, reason: string, caller: CallerContext): Promise<ApprovalView>;
  /** One page of the audit log, newest first. */
  audit(filter: AuditFilter, caller: Omit<CallerContext, 'actor'>): Promise<AuditPageView>;
  /** Source "jarvis" of analytics.query: read-only SQL over the control plane's own tables (admin keys only). */
  analyticsQuery(query: { sql: string; params: readonly (string | number | boolean | null)[]; maxRows: number; timeoutMs: number }, caller: CallerContext): Promise<JarvisQueryAnswer>;
  /** The control plane's metrics in Prometheus text format. */
  metrics(caller: Omit<CallerContext, 'actor'>): Promise<string>;
}
