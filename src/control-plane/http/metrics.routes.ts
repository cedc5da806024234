import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import type { Mount, RouteSpec } from './route-spec';

export const metricsRoutes = {
  scrape: {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text format 0.0.4): requests and latency by route pattern and status, process metrics',
    tier: 'admin',
    tag: 'meta',
    responses: { 200: { description: 'Prometheus text, text/plain; version=0.0.4' } },
  },
} satisfies Record<string, RouteSpec>;

/** Answers a scrape: the metrics in Prometheus text format. */
export function metricsHandler(metrics: Pick<Metrics, 'render' | 'contentType'>): RequestHandler {
  return async (_req, res) => {
    const text = await metrics.render();
    res.set('content-type', metrics.contentType).set('cache-control', 'no-store').send(text);
  };
}

export function mountMetricsRoutes(mount: Mount, deps: { metrics?: Metrics }): void {
  if (deps.metrics) mount(metricsRoutes.scrape, metricsHandler(deps.metrics));
}
