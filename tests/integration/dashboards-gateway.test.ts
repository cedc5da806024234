import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { createDashboardAction, DashboardStore, type DashboardSummary } from '../../src/dawg/modules/analytics/dashboard';
import { SvgRenderer } from '../../src/dawg/modules/analytics/dashboard/svg-renderer';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { parseInput } from '../../src/common/validation';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/** The control plane's /api/v1/dashboards routes in front of a real DAWG with a dashboard store. */
let dir: string;
let store: DashboardStore;
let dawg: Listening;
let plane: TestPlane;
const UNKNOWN_ID = 'dsh_00000000-0000-4000-8000-000000000000';
const svgRenderer = new SvgRenderer();

/** Renders as analytics.dashboard does for a caller (`actor`: the API key id the control plane sent), or for none. */
async function render(title: string, actor?: string): Promise<DashboardSummary> {
  const action = createDashboardAction({ dashboards: store, svgRenderer, runQuery: () => Promise.reject(new Error('no queries here')) });
  const data = [
    { day: '2024-05-01', visits: 120 },
    { day: '2024-05-02', visits: 140 },
  ];
  const params = parseInput(action.params, { title, data, charts: [{ type: 'bar', x: 'day', y: 'visits' }] }, 'params');
  return action.handler(params, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger(), ...(actor ? { actor } : {}) });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dashboards-gateway-'));
  store = new DashboardStore({ dataDir: dir });
  await store.init();
  dawg = await listen(buildDawgApp({ registry: new ModuleRegistry(), logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), dashboards: store }));
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url } });
});
afterAll(async () => {
  await svgRenderer.close();
  await plane?.stop();
  await dawg?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = (key = plane.userKey) => ({ authorization: `Bearer ${key}` });

it('lists, reads and serves a dashboard through the control plane, then deletes it with its files', async () => {
  const kept = await render('kept', plane.userKeyId);
  const doomed = await render('doomed', plane.userKeyId);
  expect(doomed.createdBy).toBe(plane.userKeyId);
  const listed = await request(plane.app).get('/api/v1/dashboards').set(auth()).expect(200);
  expect(listed.body.dashboards.map((d: DashboardSummary) => d.dashboardId)).toEqual(expect.arrayContaining([kept.dashboardId, doomed.dashboardId]));
  await request(plane.app).get(`/api/v1/dashboards/${doomed.dashboardId}`).set(auth()).expect(200);
  const page = await request(plane.app).get(doomed.htmlPath).set(auth()).expect(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);

  await request(plane.app).delete(`/api/v1/dashboards/${doomed.dashboardId}`).set(auth()).expect(204);
  const gone = await request(plane.app).get(`/api/v1/dashboards/${doomed.dashboardId}`).set(auth()).expect(404);
  expect(gone.body.error.code).toBe('DASHBOARD_NOT_FOUND');
  await request(plane.app).get(doomed.htmlPath).set(auth()).expect(404);
  const after = await request(plane.app).get('/api/v1/dashboards').set(auth()).expect(200);
  expect(after.body.dashboards.map((d: DashboardSummary) => d.dashboardId)).toEqual([kept.dashboardId]);
  // Nothing of it is left on disk, not even the folder it was moved to before removal.
  expect(await readdir(store.dir)).toEqual([kept.dashboardId]);
  await request(plane.app).delete(`/api/v1/dashboards/${kept.dashboardId}`).set(auth()).expect(204);
});

it('lets every key read every dashboard, but only its creator or an admin key delete it', async () => {
  const other = await plane.apiKeys.create('other-user', []);
  const theirs = await render('theirs', other.id);
  const system = await render('system', 'agent:DataScientist');
  const legacy = await render('legacy');
  expect(legacy.createdBy).toBeUndefined();
  for (const d of [theirs, system, legacy]) {
    const read = await request(plane.app).get(`/api/v1/dashboards/${d.dashboardId}`).set(auth()).expect(200);
    expect(read.body.createdBy).toBe(d.createdBy);
    const refused = await request(plane.app).delete(`/api/v1/dashboards/${d.dashboardId}`).set(auth()).expect(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('only its creator or an admin API key') });
    // Still there, whole.
    await request(plane.app).get(d.htmlPath).set(auth()).expect(200);
  }
  await request(plane.app).delete(`/api/v1/dashboards/${theirs.dashboardId}`).set(auth(other.key)).expect(204);
  for (const d of [system, legacy]) await request(plane.app).delete(`/api/v1/dashboards/${d.dashboardId}`).set(auth(plane.adminKey)).expect(204);
  expect(await readdir(store.dir)).toEqual([]);
});

it('the DAWG refuses a malformed owner filter, naming it', async () => {
  const res = await request(dawg.url).delete(`/api/v1/dashboards/${UNKNOWN_ID}?ownedBy=${encodeURIComponent('not an id!')}`).set('authorization', `Bearer ${SERVICE_TOKEN}`).expect(400);
  expect(JSON.stringify(res.body.error)).toContain('query.ownedBy');
});

it('answers 404 for a dashboard that does not exist (or no longer), 400 naming a malformed id, 401 without a key', async () => {
  const missing = await request(plane.app).delete(`/api/v1/dashboards/${UNKNOWN_ID}`).set(auth()).expect(404);
  expect(missing.body.error.code).toBe('DASHBOARD_NOT_FOUND');
  const bad = await request(plane.app).delete('/api/v1/dashboards/dsh_nope').set(auth()).expect(400);
  expect(JSON.stringify(bad.body.error)).toContain('params.id');
  await request(plane.app).delete(`/api/v1/dashboards/${UNKNOWN_ID}`).expect(401);
});
