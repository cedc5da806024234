import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import request from 'supertest';
import { UnauthorizedError } from '../../src/common/errors';
import { errorMapper, notFound } from '../../src/common/http/error.middleware';
import { requestId } from '../../src/common/http/request-id.middleware';
import { parseInput } from '../../src/common/validation';
import { mountDashboardRoutes } from '../../src/dawg/dashboards.routes';
import { createDashboardAction, DashboardStore, type DashboardSummary } from '../../src/dawg/modules/analytics/dashboard';
import { SvgRenderer } from '../../src/dawg/modules/analytics/dashboard/svg-renderer';
import { silentLogger } from '../helpers/logger';

const TOKEN = 'dashboard-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:";
const UNKNOWN_ID = 'dsh_00000000-0000-4000-8000-000000000000';

/** Stands in for the DAWG's service-token check: the routes only need something that refuses strangers. */
const dummyAuth: RequestHandler = (req, _res, next) => next(req.get('authorization') === `Bearer ${TOKEN}` ? undefined : new UnauthorizedError());

let dataDir: string;
let store: DashboardStore;
let app: Express;
let chart: DashboardSummary;
let table: DashboardSummary;

/** GETs a file with its body as a Buffer, whatever its content type. */
function getBinary(url: string) {
  return request(app)
    .get(url)
    .set(auth)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

const svgRenderer = new SvgRenderer();

async function render(raw: unknown): Promise<DashboardSummary> {
  const action = createDashboardAction({ dashboards: store, svgRenderer, runQuery: () => Promise.reject(new Error('no queries here')) });
  return action.handler(parseInput(action.params, raw, 'params'), { requestId: 'r', signal: new AbortController().signal, logger: silentLogger() });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dawg-dashboards-'));
  store = new DashboardStore({ dataDir });
  await store.init();
  app = express();
  app.use(requestId());
  mountDashboardRoutes(app, dummyAuth, store);
  app.use(notFound());
  app.use(errorMapper(silentLogger()));
  const rows = [
    { day: '2024-05-01', visits: 120, signups: 8 },
    { day: '2024-05-02', visits: 140, signups: 11 },
    { day: '2024-05-03', visits: 90, signups: 4 },
  ];
  chart = await render({ title: 'Traffic <May>', data: rows, charts: [{ type: 'line', x: 'day', y: ['visits', 'signups'] }, { type: 'bar', x: 'day', y: 'signups' }] });
  await new Promise((r) => setTimeout(r, 5)); // distinct createdAt, so "newest first" has one answer
  table = await render({ title: 'Rows only', data: rows, charts: [{ type: 'table' }] });
});
afterAll(async () => {
  await svgRenderer.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('stored dashboards over HTTP', () => {
  it('lists newest first with the route paths of every file', async () => {
    const res = await request(app).get('/api/v1/dashboards').set(auth).expect(200);
    expect(res.body.nextBefore).toBeNull();
    expect(res.body.dashboards.map((d: DashboardSummary) => d.dashboardId)).toEqual([table.dashboardId, chart.dashboardId]);
    expect(res.body.dashboards[1]).toEqual(chart);
    const page = await request(app).get('/api/v1/dashboards?limit=1').set(auth).expect(200);
    expect(page.body.dashboards).toHaveLength(1);
    const next = await request(app).get('/api/v1/dashboards').query({ limit: 1, before: page.body.nextBefore }).set(auth).expect(200);
    expect(next.body).toEqual({ dashboards: [chart], nextBefore: null });
  });

  it('answers one dashboard’s metadata', async () => {
    const res = await request(app).get(`/api/v1/dashboards/${chart.dashboardId}`).set(auth).expect(200);
    expect(res.body).toEqual(chart);
    expect(res.body.charts.map((c: { type: string }) => c.type)).toEqual(['line', 'bar']);
  });

  it('serves the page as HTML under a CSP that lets nothing run or load', async () => {
    const res = await request(app).get(chart.htmlPath).set(auth).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain('<h1>Traffic &lt;May&gt;</h1>');
    expect(res.text.match(/<svg /g)).toHaveLength(2);
  });

  it('serves each chart as SVG and as PNG', async () => {
    const svg = await getBinary(chart.charts[0]!.svgPath!).expect(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-security-policy']).toBe(CSP);
    const text = (svg.body as Buffer).toString('utf8');
    expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(text.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
    const png = await getBinary(chart.charts[1]!.pngPath!).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['x-content-type-options']).toBe('nosniff');
    expect((png.body as Buffer).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect((png.body as Buffer).readUInt32BE(16)).toBeGreaterThan(1000);
  });

  it('refuses malformed ids and file names with a 400 naming the parameter', async () => {
    const badId = await request(app).get('/api/v1/dashboards/not-an-id').set(auth).expect(400);
    expect(badId.body.error.details.issues[0].field).toBe('params.id');
    for (const name of ['..%2fdashboard.json', '..%2f..%2f..%2fetc%2fpasswd', 'dashboard.json', '%2e%2e', 'chart-0.svg%00.png', 'chart-12.svg']) {
      const res = await request(app).get(`/api/v1/dashboards/${chart.dashboardId}/files/${name}`).set(auth).expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.body.error.details.issues.map((i: { field: string }) => i.field)).toEqual(['params.name']);
    }
    await request(app).get('/api/v1/dashboards?limit=0').set(auth).expect(400);
    const badCursor = await request(app).get('/api/v1/dashboards?before=nope').set(auth).expect(400);
    expect(badCursor.body.error.details.issues[0].field).toBe('query.before');
  });

  it('answers 404 as JSON for dashboards and files that do not exist', async () => {
    const missing = await request(app).get(`/api/v1/dashboards/${UNKNOWN_ID}`).set(auth).expect(404);
    expect(missing.body.error.code).toBe('DASHBOARD_NOT_FOUND');
    await request(app).get(`/api/v1/dashboards/${UNKNOWN_ID}/files/index.html`).set(auth).expect(404);
    // A name of the right shape that this dashboard does not have: tables have no images.
    const noImage = await request(app).get(`/api/v1/dashboards/${table.dashboardId}/files/chart-0.svg`).set(auth).expect(404);
    expect(noImage.body.error).toMatchObject({ code: 'DASHBOARD_FILE_NOT_FOUND', details: { available: ['index.html'] } });
    // A literal ../ segment never reaches the file route at all.
    await request(app).get(`/api/v1/dashboards/${chart.dashboardId}/files/../dashboard.json`).set(auth).expect(404);
  });

  it('maps a file that vanished from disk to 404, not a crash', async () => {
    const gone = await render({ title: 'Short-lived', data: [{ k: 'a', v: 1 }], charts: [{ type: 'bar', x: 'k', y: 'v' }] });
    await unlink(path.join(store.dir, gone.dashboardId, 'chart-0.png'));
    const res = await request(app).get(gone.charts[0]!.pngPath!).set(auth).expect(404);
    expect(res.body.error.code).toBe('DASHBOARD_FILE_NOT_FOUND');
  });

  it('needs the service token', async () => {
    await request(app).get('/api/v1/dashboards').expect(401);
    await request(app).get(chart.htmlPath).set({ authorization: 'Bearer wrong' }).expect(401);
  });
});
