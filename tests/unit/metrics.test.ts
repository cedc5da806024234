import express, { type Express } from 'express';
import request from 'supertest';
import { metricsHandler } from '../../src/control-plane/http/metrics.routes';
import { HTTP_DURATION_BUCKETS, Metrics } from '../../src/control-plane/metrics';
import { samples } from '../helpers/prom-samples';


function appWith(metrics: Metrics): Express {
  const app = express();
  app.use(metrics.middleware());
  app.get('/things/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/boom/:id', () => {
    throw new Error('boom');
  });
  const api = express.Router();
  api.get('/items/:itemId', (_req, res) => {
    res.status(201).end();
  });
  app.use('/api', api);
  app.get('/metrics', metricsHandler(metrics));
  app.use((_req, res) => {
    res.status(404).json({ error: 'no route' });
  });
  app.use(((_err, _req, res, _next) => {
    res.status(500).json({ error: 'failed' });
  }) as express.ErrorRequestHandler);
  return app;
}

describe('control-plane Metrics', () => {
  it('counts and times requests by route pattern, never by raw URL', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const app = appWith(metrics);
    await request(app).get('/things/abc-123').expect(200);
    await request(app).get('/things/xyz-789').expect(200);
    await request(app).get('/no/such/path-42').expect(404);
    await request(app).get('/api/items/it-5').expect(201);
    await request(app).get('/boom/b-1').expect(500);

    const text = await metrics.render();
    expect(text).not.toMatch(/abc-123|xyz-789|path-42|it-5|b-1/);

    expect(samples(text, 'jarvis_http_requests_total')).toEqual(
      new Map([
        ['{method="GET",route="/things/:id",status="200"}', 2],
        ['{method="GET",route="unmatched",status="404"}', 1],
        ['{method="GET",route="/api/items/:itemId",status="201"}', 1],
        ['{method="GET",route="/boom/:id",status="500"}', 1],
      ]),
    );

    const buckets = samples(text, 'jarvis_http_request_duration_seconds_bucket');
    const thingBuckets = [...buckets].filter(([labels]) => labels.includes('route="/things/:id"'));
    expect(thingBuckets.map(([labels]) => /le="([^"]+)"/.exec(labels)![1])).toEqual([...HTTP_DURATION_BUCKETS.map(String), '+Inf']);
    // Cumulative: never decreasing, and the +Inf bucket holds every request.
    const counts = thingBuckets.map(([, v]) => v);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(2);
    expect(samples(text, 'jarvis_http_request_duration_seconds_count').get('{method="GET",route="/things/:id",status="200"}')).toBe(2);
    const sum = samples(text, 'jarvis_http_request_duration_seconds_sum').get('{method="GET",route="/things/:id",status="200"}')!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(10);
    expect(text).toContain('# TYPE jarvis_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE jarvis_http_requests_total counter');
  });

  it('keeps each instance to its own registry', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    await request(appWith(a)).get('/things/1').expect(200);
    expect(samples(await a.render(), 'jarvis_http_requests_total').size).toBe(1);
    expect(samples(await b.render(), 'jarvis_http_requests_total').size).toBe(0);
  });

  it('includes process metrics with the jarvis_ prefix by default', async () => {
    const text = await new Metrics().render();
    expect(text).toMatch(/^jarvis_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^jarvis_nodejs_heap_size_used_bytes \d/m);
  });

  it('serves the text with the Prometheus content type, the scrape itself counted on the next one', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const app = appWith(metrics);
    const first = await request(app).get('/metrics').expect(200);
    expect(first.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.text).toContain('# HELP jarvis_http_requests_total');
    const second = await request(app).get('/metrics').expect(200);
    expect(samples(second.text, 'jarvis_http_requests_total').get('{method="GET",route="/metrics",status="200"}')).toBe(1);
  });
});
