import { z } from 'zod';
import { approvalSchema } from '../common/firewall-protocol';
import { TASK_STATUSES } from '../control-plane/agents/types';
import { agentListSchema, taskDetailSchema } from '../control-plane/http/agent-schemas';
import { budgetSchema, costReportSchema } from '../control-plane/http/ai-schemas';
import { memorySchema } from '../control-plane/http/memory-schemas';
import { channelsSchema, emailTestSchema, forgottenSchema, suggestionFeedbackSchema, suggestionSchema, webhookTestSchema } from '../control-plane/http/suggestions.routes';
import { API_KEY_SCOPES } from '../control-plane/auth/principal';

/**
 * The control plane's answers as far as the CLI prints them. Unknown fields are dropped, so
 * nothing else can reach the terminal; a mismatch means a server of another version.
 */

export const apiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof apiKeyInfoSchema>;

export const createdApiKeySchema = apiKeyInfoSchema.extend({ key: z.string().regex(/^jrv_/) });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const keyListSchema = z.object({ keys: z.array(apiKeyInfoSchema) });

/** POST /api/v1/audit/verify. */
export const auditVerifySchema = z.object({
  ok: z.boolean(),
  checked: z.number(),
  firstBroken: z.object({ seq: z.number(), id: z.string().nullable(), reason: z.string() }).optional(),
  checkpoint: z.object({ seq: z.number(), hash: z.string(), pruned: z.number(), createdAt: z.string() }).optional(),
  mirror: z.object({ compared: z.number(), malformed: z.number().optional(), unavailable: z.string().optional() }).optional(),
  witness: z.object({ file: z.string(), compared: z.number(), malformed: z.number().optional(), unavailable: z.string().optional() }).optional(),
});
export type AuditVerifyResult = z.infer<typeof auditVerifySchema>;

/** GET /api/v1/agents: the route's own schema. */
export { agentListSchema };
export type AgentInfo = z.infer<typeof agentListSchema>['agents'][number];

const count = z.number().default(0);
/** GET /api/v1/agents/stats. */
export const agentStatsSchema = z.object({
  agents: z.array(
    z.object({ name: z.string(), totalTasks: z.number(), waiting: count, queued: count, running: count, completed: count, failed: count, cancelled: count }),
  ),
  instance: z.object({ workerId: z.string(), running: z.number(), maxConcurrentTasks: z.number(), maxConcurrentPerAgent: z.number() }),
});
export type AgentStats = z.infer<typeof agentStatsSchema>;

/** POST /api/v1/agents/:name/tasks (202). */
export const createdTaskSchema = z.object({ taskId: z.string(), status: z.enum(TASK_STATUSES), jobUrl: z.string() });
export type CreatedTask = z.infer<typeof createdTaskSchema>;

/**
 * A task as GET /api/v1/agents/:name/tasks/:id answers it: the route's own schema (the cancel
 * route answers the same task without its events).
 */
export const taskSchema = taskDetailSchema.extend({ events: taskDetailSchema.shape.events.default([]) });
export type TaskView = z.infer<typeof taskSchema>;

/** GET /integrations/chatgpt/jobs/:jobId for a task; large results are replaced by a note. */
export const jobSchema = taskSchema.extend({ kind: z.literal('task') });
export const truncatedResultSchema = z.object({ truncated: z.literal(true), fullResultUrl: z.string() });

export { approvalSchema };
export type ApprovalView = z.infer<typeof approvalSchema>;
export const approvalListSchema = z.object({ approvals: z.array(approvalSchema) });

/** GET /api/v1/ai/costs and GET /api/v1/ai/budget: the routes' own schemas. */
export { budgetSchema, costReportSchema };
export type CostReport = z.infer<typeof costReportSchema>;
export type BudgetView = z.infer<typeof budgetSchema>;

/** GET /api/v1/memory/search. */
export const recallSchema = z.object({
  hits: z.array(memorySchema.extend({ score: z.number(), similarity: z.number().nullable(), vectorRank: z.number().nullable(), textRank: z.number().nullable() })),
});
export type MemoryHit = z.infer<typeof recallSchema>['hits'][number];

/** POST /api/v1/memory (201). */
export const rememberedSchema = z.object({ action: z.enum(['created', 'updated']), memory: memorySchema, similarity: z.number().optional() });
export type Remembered = z.infer<typeof rememberedSchema>;

/** GET /api/v1/suggestions and POST /api/v1/suggestions/:id/dismiss: the route's own schema. */
export { channelsSchema, emailTestSchema, forgottenSchema, suggestionFeedbackSchema, suggestionSchema, webhookTestSchema };
export const suggestionListSchema = z.object({ suggestions: z.array(suggestionSchema) });
export type SuggestionView = z.infer<typeof suggestionSchema>;
export type SuggestionFeedback = z.infer<typeof suggestionFeedbackSchema>;
export type Forgotten = z.infer<typeof forgottenSchema>;
export type WebhookTest = z.infer<typeof webhookTestSchema>;
export type EmailTest = z.infer<typeof emailTestSchema>;
export type Channels = z.infer<typeof channelsSchema>;
