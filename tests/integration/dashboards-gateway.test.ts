import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { createDashboardAction, DashboardStore, type DashboardSummary } from '../../src/dawg/modules/analytics/dashboard';
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

async function render(title: string): Promise<DashboardSummary> {
  const action = createDashboardAction({ dashboards: store, runQuery: () => Promise.reject(new Error('no queries here')) });
  const data = [
    { day: '2024-05-01', visits: 120 },
    { day: '2024-05-02', visits: 140 },
  ];
  const params = parseInput(action.params, { title, data, charts: [{ type: 'bar', x: 'day', y: 'visits' }] }, 'params');
  return action.handler(params, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger() });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dashboards-gateway-'));
  store = new DashboardStore({ dataDir: dir });
  await store.init();
  dawg = await listen(buildDawgApp({ registry: new ModuleRegistry(), logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), dashboards: store }));
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url } });
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${plane.userKey}` });

it('lists, reads and serves a dashboard through the control plane, then deletes it with its files', async () => {
  const kept = await render('kept');
  const doomed = await render('doomed');
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
});

it('answers 404 for a dashboard that does not exist (or no longer), 400 naming a malformed id, 401 without a key', async () => {
  const missing = await request(plane.app).delete(`/api/v1/dashboards/${UNKNOWN_ID}`).set(auth()).expect(404);
  expect(missing.body.error.code).toBe('DASHBOARD_NOT_FOUND');
  const bad = await request(plane.app).delete('/api/v1/dashboards/dsh_nope').set(auth()).expect(400);
  expect(JSON.stringify(bad.body.error)).toContain('params.id');
  await request(plane.app).delete(`/api/v1/dashboards/${UNKNOWN_ID}`).expect(401);
});
