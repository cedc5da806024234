import type { Express } from 'express';
import { z } from 'zod';
import { parseInput } from '../../common/validation';
import { API_KEY_SCOPES, type ApiKeyService } from '../auth';
import { requireTier } from './auth.middleware';

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    scopes: z.array(z.enum(API_KEY_SCOPES)).max(API_KEY_SCOPES.length).default([]),
  })
  .strict();

const listQuerySchema = z.object({ includeRevoked: z.enum(['true', 'false']).default('false') }).strict();
const keyIdSchema = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'must be a 16-character key id') });

/** Admin tier: API keys are created (shown once), listed and revoked here and by `jarvis keys`. */
export function mountApiKeyRoutes(app: Express, deps: { apiKeys: ApiKeyService }): void {
  const admin = requireTier('admin');

  app.get('/api/v1/admin/api-keys', admin, async (req, res) => {
    const query = parseInput(listQuerySchema, req.query, 'query');
    res.json({ keys: await deps.apiKeys.list(query.includeRevoked === 'true') });
  });

  app.post('/api/v1/admin/api-keys', admin, async (req, res) => {
    const body = parseInput(createApiKeySchema, req.body, 'body');
    res.status(201).json(await deps.apiKeys.create(body.name, body.scopes));
  });

  app.delete('/api/v1/admin/api-keys/:id', admin, async (req, res) => {
    const { id } = parseInput(keyIdSchema, req.params, 'params');
    res.json(await deps.apiKeys.revoke(id));
  });
}
