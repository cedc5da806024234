import { z } from 'zod';

/**
 * Answers of the terminal firewall and the audit log, as the control plane serves them: to
 * clients on /api/v1 and to the DAWG on /internal/v1. Both sides read these schemas.
 */

export const APPROVAL_STATUSES = ['pending', 'approved', 'running', 'finished', 'failed', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const commandResultSchema = z.object({
  executable: z.string(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  outputSha256: z.string(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/** An approval without its environment values (they stay in the database). */
export const approvalSchema = z.object({
  id: z.string(),
  requestedBy: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  cwd: z.string(),
  rule: z.string(),
  subcommand: z.string().nullable(),
  reason: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionNote: z.string().nullable(),
  result: z.unknown(),
});
export type ApprovalView = z.infer<typeof approvalSchema>;

export const auditEntrySchema = z.object({
  id: z.string(),
  seq: z.number().int().describe('Gap-free position in the chain'),
  createdAt: z.string(),
  type: z.string(),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  outcome: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string().describe('sha256(prevHash || canonical JSON of the other fields), hex'),
});
export type AuditEntryView = z.infer<typeof auditEntrySchema>;

export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema).describe('Newest first'),
  nextBefore: z.number().int().nullable().describe('Pass as before= for the next (older) page; null on the last page'),
});
export type AuditPageView = z.infer<typeof auditPageSchema>;
