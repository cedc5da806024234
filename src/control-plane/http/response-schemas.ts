import { z } from 'zod';

/** Response bodies, as zod schemas: handlers are typed by them and the OpenAPI spec is generated from them. */
export const healthResponseSchema = z.object({
  status: z.literal('ok'),
  service: z.string(),
  version: z.string(),
  uptimeSeconds: z.number(),
});

const checkSchema = z
  .object({
    status: z.enum(['ok', 'down', 'disabled']),
    latencyMs: z.number(),
    error: z.string().optional(),
  })
  .catchall(z.unknown());

export const detailedHealthResponseSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checks: z.object({ database: checkSchema, redis: checkSchema, dawg: checkSchema }),
});

export const statusResponseSchema = z.object({
  service: z.string(),
  version: z.string(),
  environment: z.enum(['development', 'production', 'test']),
  uptimeSeconds: z.number(),
  features: z.object({ agentSystem: z.boolean(), memoryLayer: z.boolean(), terminalFirewall: z.boolean() }),
  storage: z.object({ database: z.enum(['pglite', 'postgres']), vector: z.boolean(), kv: z.enum(['redis', 'memory']) }),
  dawg: z.object({ reachable: z.boolean(), breaker: z.enum(['closed', 'open', 'half-open']) }),
  modules: z.array(z.object({ name: z.string(), version: z.string(), actions: z.array(z.string()) })),
});

export const apiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(['admin', 'devops'])),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const createdApiKeySchema = apiKeyInfoSchema.extend({
  key: z.string().describe('The full key. Shown only in this response; store it now.'),
});

export const apiKeyListSchema = z.object({ keys: z.array(apiKeyInfoSchema) });
