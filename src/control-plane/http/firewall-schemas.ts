import { z } from 'zod';
import { APPROVAL_STATUSES, approvalSchema, commandResultSchema } from '../../common/firewall-protocol';
import { numberFromText } from '../../common/validation';

/** Request and response schemas of the terminal firewall, DevOps exec and approval routes. */
export const execBody = z.strictObject({
  command: z.string().min(1).max(64),
  args: z.array(z.string().max(8_192)).max(256).default([]),
  cwd: z.string().min(1).max(4_096).optional(),
  env: z.record(z.string().max(64), z.string().max(8_192)).optional(),
});

export const approvalParams = z.strictObject({ id: z.string().regex(/^apr_[0-9a-f-]{36}$/, 'must be an approval id (apr_…)') });
export const approvalListQuery = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: numberFromText().int().min(1).max(500).default(50),
});
export const decisionBody = z.strictObject({ note: z.string().max(1_000).optional() }).default({});

export { approvalSchema };

export const execResultSchema = z.object({
  status: z.enum(['finished', 'pending-approval']),
  rule: z.string().optional(),
  result: commandResultSchema.optional(),
  approval: approvalSchema.optional(),
});

export const firewallRulesSchema = z.object({
  path: z.array(z.string()),
  maxConcurrentTotal: z.number(),
  rules: z.array(
    z.object({
      command: z.string(),
      description: z.string(),
      subcommands: z.array(z.object({ name: z.string(), requireApproval: z.boolean(), maxExecutionTimeMs: z.number() })).nullable(),
      requireApproval: z.boolean(),
      allowedDirectories: z.array(z.string()),
      allowedEnv: z.array(z.string()),
      deniedOptions: z.array(z.string()),
      maxExecutionTimeMs: z.number(),
      maxOutputBytes: z.number(),
      maxConcurrent: z.number(),
    }),
  ),
});
