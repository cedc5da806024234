import type { Express } from 'express';
import { executeRequestSchema } from '../../common/protocol';
import { parseInput } from '../../common/validation';
import type { ModuleRouter } from '../dawg-client';
import { requireTier } from './auth.middleware';
import { requestIdOf } from './locals';

export function mountExecuteRoutes(app: Express, deps: { moduleRouter: ModuleRouter }): void {
  app.post('/api/v1/execute', requireTier('integration'), async (req, res) => {
    const request = parseInput(executeRequestSchema, req.body, 'body');
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const result = await deps.moduleRouter.execute(request, { requestId: requestIdOf(res), signal: controller.signal });
    res.json(result);
  });
}
