import type { z } from 'zod';
import { VERSION } from '../../common/version';
import type { HealthService } from '../health';
import { detailedHealthResponseSchema, healthResponseSchema } from './response-schemas';
import type { Mount, RouteSpec } from './route-spec';

export const healthRoutes = {
  health: {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Liveness of the control plane',
    tier: 'public',
    tag: 'health',
    responses: { 200: { description: 'The control plane is up', schema: healthResponseSchema } },
  },
  detailed: {
    method: 'get',
    path: '/health/detailed',
    operationId: 'getDetailedHealth',
    summary: 'Database, Redis and AI DAWG health with latencies',
    description: 'ok: all up; degraded: Redis or the DAWG down (200); down: the database is down (503).',
    tier: 'public',
    tag: 'health',
    responses: {
      200: { description: 'ok or degraded', schema: detailedHealthResponseSchema },
      503: { description: 'down: the database does not answer', schema: detailedHealthResponseSchema },
    },
  },
} satisfies Record<string, RouteSpec>;

export function mountHealthRoutes(mount: Mount, deps: { health: HealthService; startedAt: number }): void {
  mount(healthRoutes.health, (_req, res) => {
    const body: z.infer<typeof healthResponseSchema> = {
      status: 'ok',
      service: 'jarvis-control-plane',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    };
    res.json(body);
  });

  mount(healthRoutes.detailed, async (_req, res) => {
    const report: z.infer<typeof detailedHealthResponseSchema> = await deps.health.detailed();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });
}
