import type { Express } from 'express';
import type { Db } from '../../common/db';
import type { Kv } from '../../common/kv';
import { VERSION } from '../../common/version';
import type { ControlPlaneConfig } from '../config';
import type { ModuleRouter } from '../dawg-client';
import { requireTier } from './auth.middleware';

export interface StatusDeps {
  config: ControlPlaneConfig;
  db: Db;
  kv: Kv;
  moduleRouter: ModuleRouter;
  startedAt: number;
}

export function mountStatusRoutes(app: Express, deps: StatusDeps): void {
  app.get('/status', requireTier('integration'), async (_req, res) => {
    const dawg = await deps.moduleRouter.modules();
    res.json({
      service: 'jarvis-control-plane',
      version: VERSION,
      environment: deps.config.env,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      features: deps.config.features,
      storage: { database: deps.db.kind, vector: deps.db.vector, kv: deps.kv.kind },
      dawg: { reachable: dawg.reachable, breaker: deps.moduleRouter.breakerState },
      modules: dawg.modules.map((m) => ({ name: m.name, version: m.version, actions: m.actions.map((a) => a.name) })),
    });
  });
}
