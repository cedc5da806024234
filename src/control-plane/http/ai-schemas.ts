import { z } from 'zod';
import { CALL_BUDGETS } from '../../common/ai-routing';
import { COST_GROUPINGS, STRATEGIES, TASK_TYPES } from '../ai-router';

/** Request and response schemas of the AI router routes (validation and OpenAPI). */
const message = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().min(1, 'must not be empty').max(200_000, 'must be at most 200,000 characters'),
});
const modelKey = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a catalog model key such as gpt-4o-mini');

const routing = {
  taskType: z.enum(TASK_TYPES).default('generation'),
  strategy: z.enum(STRATEGIES).optional(),
  model: modelKey.optional(),
  maxOutputTokens: z.number().int().min(1).max(1_000_000).optional(),
  requiredCapabilities: z.array(z.string().min(1).max(64)).max(16).optional(),
  budget: z.enum(CALL_BUDGETS).optional(),
  /** Whether other models may serve when the first choice cannot or fails (default true). */
  fallback: z.boolean().optional(),
};

export const chatBody = z.strictObject({
  messages: z.array(message).min(1, 'must hold at least one message').max(500),
  ...routing,
  temperature: z.number().min(0).max(2).optional(),
  stream: z.boolean().default(false),
  /** The end user the call is for, recorded in the ledger. */
  user: z.string().min(1).max(200).optional(),
});

export const routeBody = z
  .strictObject({
    messages: z.array(message).min(1).max(500).optional(),
    promptTokens: z.number().int().min(0).max(10_000_000).optional(),
    ...routing,
  })
  .refine((v) => !(v.messages && v.promptTokens !== undefined), { path: ['promptTokens'], message: 'give messages or promptTokens, not both' });

export const costsQuery = z.strictObject({
  groupBy: z.enum(COST_GROUPINGS).default('day'),
  from: z.iso.date({ message: 'must be a date YYYY-MM-DD' }).optional(),
  to: z.iso.date({ message: 'must be a date YYYY-MM-DD' }).optional(),
});

export const keyBudgetParams = z.strictObject({ keyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an API key id') });
export const keyBudgetBody = z.strictObject({ monthlyUsd: z.number().min(0).max(10_000_000).nullable() });

const ranked = z.object({
  model: z.string(),
  provider: z.string(),
  providerModel: z.string(),
  rank: z.number(),
  estimatedCostUsd: z.number(),
  latencyMs: z.number(),
  quality: z.number(),
  maxOutputTokens: z.number(),
  reason: z.string(),
});
const budgetView = z.object({ remainingUsd: z.number().nullable(), exhausted: z.boolean(), scope: z.string() });
export const routeDecisionSchema = z.object({
  strategy: z.enum(STRATEGIES),
  taskType: z.enum(TASK_TYPES),
  capabilityClass: z.string(),
  promptTokens: z.number(),
  chosen: ranked.nullable(),
  reason: z.string(),
  alternatives: z.array(ranked),
  rejected: z.array(z.object({ model: z.string(), provider: z.string(), code: z.string(), reason: z.string() })),
  budget: budgetView,
});

const attempt = z.object({
  model: z.string(),
  provider: z.string(),
  attempt: z.number(),
  outcome: z.string(),
  status: z.number().optional(),
  message: z.string().optional(),
  latencyMs: z.number().optional(),
  retryAfterMs: z.number().optional(),
});
export const chatAnswerSchema = z.object({
  requestId: z.string(),
  content: z.string(),
  model: z.string(),
  provider: z.string(),
  providerModel: z.string(),
  offline: z.boolean(),
  finishReason: z.string().nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), estimated: z.boolean() }),
  costUsd: z.number(),
  latencyMs: z.number(),
  strategy: z.string(),
  reason: z.string(),
  fallbackUsed: z.boolean(),
  attempts: z.array(attempt),
});

export const modelListSchema = z.object({
  defaultStrategy: z.enum(STRATEGIES),
  models: z.array(
    z.object({
      key: z.string(),
      provider: z.string(),
      model: z.string(),
      capabilityClass: z.string(),
      taskTypes: z.array(z.string()),
      strengths: z.array(z.string()),
      costPer1MTokens: z.object({ input: z.number(), output: z.number() }),
      costPerRequest: z.number(),
      contextTokens: z.number(),
      maxOutputTokens: z.number(),
      quality: z.number(),
      configured: z.boolean(),
      circuit: z.string(),
      latency: z.object({ priorMs: z.number(), measuredMs: z.number().nullable(), samples: z.number() }),
      share: z.number().nullable(),
    }),
  ),
});

const costRow = z.object({
  key: z.string(),
  calls: z.number(),
  failedCalls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  callsWithEstimatedTokens: z.number(),
  costUsd: z.number(),
  avgLatencyMs: z.number().nullable(),
});
export const costReportSchema = z.object({
  groupBy: z.enum(COST_GROUPINGS),
  from: z.string(),
  to: z.string(),
  rows: z.array(costRow),
  total: z.object({ calls: z.number(), costUsd: z.number(), inputTokens: z.number(), outputTokens: z.number() }),
});

const scopeStatus = z.object({
  scope: z.string(),
  limitUsd: z.number().nullable(),
  spentUsd: z.number(),
  reservedUsd: z.number(),
  remainingUsd: z.number().nullable(),
  usedPercent: z.number().nullable(),
  state: z.enum(['ok', 'soft-alert', 'exhausted', 'unlimited']),
});
export const budgetSchema = z.object({ month: z.string(), softAlertPercent: z.number(), scopes: z.array(scopeStatus) });
