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
/** What a held command would do, given by the service that asked for it (its plan's resource changes). */
export const approvalContextSchema = z.strictObject({
  changes: z
    .array(z.strictObject({ action: z.string().min(1).max(40), logicalId: z.string().min(1).max(1_000), type: z.string().max(300) }))
    .max(500)
    .describe('The resource changes the command carries out (create, update, replace, delete, Add, Modify, Remove, …)'),
  source: z.string().min(1).max(300).optional().describe('Where the changes were read, when not from what the command itself applies (the output of the plan run that saved it)'),
});
export type ApprovalContext = z.infer<typeof approvalContextSchema>;

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
  context: approvalContextSchema.nullable().optional().describe('What the command would do, as the service that asked for it saw it (null when it gave none)'),
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
