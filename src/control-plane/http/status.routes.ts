import type { z } from 'zod';
import type { Db } from '../../common/db';
import type { Kv } from '../../common/kv';
import { VERSION } from '../../common/version';
import type { ControlPlaneConfig } from '../config';
import type { ModuleRouter } from '../dawg-client';
import { statusResponseSchema } from './response-schemas';
import type { Mount, RouteSpec } from './route-spec';

export interface StatusDeps {
  config: ControlPlaneConfig;
  db: Db;
  kv: Kv;
  moduleRouter: ModuleRouter;
  startedAt: number;
}

export const statusRoutes = {
  status: {
    method: 'get',
    path: '/status',
    operationId: 'getStatus',
    summary: 'Version, uptime, enabled features, storage and the modules the AI DAWG runs',
    tier: 'integration',
    tag: 'status',
    responses: { 200: { description: 'Controller status', schema: statusResponseSchema } },
  },
} satisfies Record<string, RouteSpec>;

export function mountStatusRoutes(mount: Mount, deps: StatusDeps): void {
  mount(statusRoutes.status, async (_req, res) => {
    const dawg = await deps.moduleRouter.modules();
    const body: z.infer<typeof statusResponseSchema> = {
      service: 'jarvis-control-plane',
      version: VERSION,
      environment: deps.config.env,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      features: deps.config.features,
      storage: { database: deps.db.kind, vector: deps.db.vector, kv: deps.kv.kind },
      dawg: { reachable: dawg.reachable, breaker: deps.moduleRouter.breakerState },
      modules: dawg.modules.map((m) => ({ name: m.name, version: m.version, actions: m.actions.map((a) => a.name) })),
    };
    res.json(body);
  });
}
