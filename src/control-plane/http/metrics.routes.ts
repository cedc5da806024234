import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics';

/** Answers a scrape: the metrics in Prometheus text format. Mounting (tier, path) is the caller's. */
export function metricsHandler(metrics: Pick<Metrics, 'render' | 'contentType'>): RequestHandler {
  return async (_req, res) => {
    const text = await metrics.render();
    res.set('content-type', metrics.contentType).set('cache-control', 'no-store').send(text);
  };
}
