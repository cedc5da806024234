import type { Express } from 'express';
import { VERSION } from '../../common/version';
import type { HealthService } from '../health';

export function mountHealthRoutes(app: Express, deps: { health: HealthService; startedAt: number }): void {
  app.get('/health', (_req, res) => {
    res.json({
      status: 'ok',
      service: 'jarvis-control-plane',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    });
  });

  app.get('/health/detailed', async (_req, res) => {
    const report = await deps.health.detailed();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });
}
