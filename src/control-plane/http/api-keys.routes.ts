import { z } from 'zod';
import { parseInput } from '../../common/validation';
import { API_KEY_SCOPES, type ApiKeyService } from '../auth';
import { apiKeyInfoSchema, apiKeyListSchema, createdApiKeySchema } from './response-schemas';
import { principalOf } from './locals';
import type { AuditLog } from '../audit';
import type { Mount, RouteSpec } from './route-spec';

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    scopes: z.array(z.enum(API_KEY_SCOPES)).max(API_KEY_SCOPES.length).default([]),
  })
  .strict();

const listQuerySchema = z.object({ includeRevoked: z.enum(['true', 'false']).default('false') }).strict();
const keyIdSchema = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'must be a 16-character key id') });

export const apiKeyRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/admin/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys (never their secrets)',
    tier: 'admin',
    tag: 'admin',
    query: listQuerySchema,
    responses: { 200: { description: 'Active keys, and revoked ones with includeRevoked=true', schema: apiKeyListSchema } },
  },
  create: {
    method: 'post',
    path: '/api/v1/admin/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key; the key is returned once',
    tier: 'admin',
    tag: 'admin',
    body: createApiKeySchema,
    responses: { 201: { description: 'Created', schema: createdApiKeySchema } },
  },
  revoke: {
    method: 'delete',
    path: '/api/v1/admin/api-keys/:id',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key at once (idempotent)',
    tier: 'admin',
    tag: 'admin',
    params: keyIdSchema,
    responses: {
      200: { description: 'Revoked', schema: apiKeyInfoSchema },
      404: { description: 'No key with this id' },
      409: { description: 'The last active admin key cannot be revoked' },
    },
  },
} satisfies Record<string, RouteSpec>;

/** Admin tier: API keys are created (shown once), listed and revoked here and by `jarvis keys`. */
export function mountApiKeyRoutes(mount: Mount, deps: { apiKeys: ApiKeyService; audit?: Pick<AuditLog, 'append'> }): void {
  mount(apiKeyRoutes.list, async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json({ keys: await deps.apiKeys.list(query.includeRevoked === 'true') });
  });

  mount(apiKeyRoutes.create, async (req, res) => {
    const body = parseInput(createApiKeySchema, req.body, 'body');
    const created = await deps.apiKeys.create(body.name, body.scopes);
    // Who may do what changed: an infrastructure change, durable before the answer (never the key itself).
    await deps.audit?.append({ type: 'infra.change', actor: principalOf(res)?.id, subject: `api-key:${created.id}`, outcome: 'created', details: { name: created.name, scopes: created.scopes } });
    res.status(201).json(created);
  });

  mount(apiKeyRoutes.revoke, async (req, res) => {
    const { id } = parseInput(keyIdSchema, req.params, 'params');
    const revoked = await deps.apiKeys.revoke(id);
    await deps.audit?.append({ type: 'infra.change', actor: principalOf(res)?.id, subject: `api-key:${id}`, outcome: 'revoked' });
    res.json(revoked);
  });
}
