import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { createConfigureMonitoringAction, parsePromText, type ConfigureMonitoringResult } from '../../src/dawg/modules/devops/monitoring';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { openTestDb, type TestDb } from '../helpers/db';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';
import { silentLogger } from '../helpers/logger';

// Several control planes on one PostgreSQL: whichever the AI DAWG's monitoring asks answers for
// all of them, each series labelled with its instance, so alerts and SLOs count every
// instance's traffic and one instance restarting or stopping is not a reset of all.

jest.setTimeout(60_000);

type Evaluated = Extract<ConfigureMonitoringResult, { operation: 'evaluate' }>;

let testDb: TestDb;
let a: TestPlane;
let b: TestPlane;
let aHttp: Listening;

beforeAll(async () => {
  testDb = await openTestDb('postgres');
  a = await startTestPlane({ testDb, instance: 'cp-a' });
  b = await startTestPlane({ testDb, instance: 'cp-b' });
  // b publishes as start() has it do (the tests also publish at once after its requests).
  b.clusterMetrics.start();
  aHttp = await listen(a.app);
});

afterAll(async () => {
  await aHttp?.close();
  await b?.stop();
  await a?.stop();
  await testDb?.drop();
});

const internalMetrics = (plane: TestPlane) => request(plane.app).get('/internal/v1/metrics').set('authorization', `Bearer ${SERVICE_TOKEN}`);
const notFound = (text: string, instance: string) =>
  parsePromText(text).samples.find((s) => s.name === 'jarvis_http_requests_total' && s.labels.instance === instance && s.labels.status === '404')?.value;

test('one instance answers for every live one, each series labelled with its instance; /metrics stays its own', async () => {
  for (let i = 0; i < 3; i++) await request(b.app).get(`/missing-on-b-${i}`);
  await request(a.app).get('/missing-on-a');
  await b.clusterMetrics.publish();
  const res = await internalMetrics(a);
  expect(res.status).toBe(200);
  expect(notFound(res.text, 'cp-b')).toBe(3);
  expect(notFound(res.text, 'cp-a')).toBe(1);
  // Prometheus scrapes each instance itself: its /metrics has no instance label and no other instance.
  const own = await request(a.app).get('/metrics').set('authorization', `Bearer ${a.adminKey}`);
  expect(own.text).toMatch(/jarvis_http_requests_total\{method="GET",route="unmatched",status="404"\} 1\n/);
  expect(own.text).not.toContain('cp-b');
});

test('the AI DAWG\'s monitoring counts the traffic of both instances through one of them', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cluster-monitoring-'));
  try {
    const controlPlane = new HttpControlPlaneClient({ baseUrl: aHttp.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 5_000 });
    let nowMs = Date.parse('2026-01-01T00:00:00Z');
    const registry = new ModuleRegistry();
    registry.register(defineModule({ name: 'devops', description: 'test', version: '0.0.0', actions: { 'configure-monitoring': createConfigureMonitoringAction({ dir, controlPlane, now: () => nowMs }) } }));
    const run = async <R = Evaluated>(params: Record<string, unknown>) =>
      (await registry.execute({ module: 'devops', action: 'configure-monitoring', params }, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger() })).result as R;
    const notFoundSelector = { metric: 'jarvis_http_requests_total', labels: { status: '404' } };
    await run({ operation: 'create-alert', name: 'missing-pages', expr: { aggregate: 'rate', ...notFoundSelector }, op: '>', threshold: 0, severity: 'warning' });
    // The DAWG's own scrapes (of a) are not traffic.
    const traffic = [{ label: 'route', op: '!=', value: '/internal/v1/metrics' }];
    const found = { metric: 'jarvis_http_requests_total', matchers: [...traffic, { label: 'status', op: '!=', value: '404' }] };
    await run({ operation: 'create-slo', name: 'found', objective: 99, window: '1h', sli: { good: found, total: { metric: 'jarvis_http_requests_total', matchers: traffic } } });
    await b.clusterMetrics.publish();
    await run({ operation: 'evaluate' });

    // 6 missing pages on b, 2 on a, and 4 found pages on b, in 60 s.
    for (let i = 0; i < 6; i++) await request(b.app).get(`/gone-${i}`);
    for (let i = 0; i < 2; i++) await request(a.app).get(`/gone-${i}`);
    for (let i = 0; i < 4; i++) await request(b.app).get('/health');
    await b.clusterMetrics.publish();
    nowMs += 60_000;
    const second = await run({ operation: 'evaluate' });
    expect(second.alerts[0]).toMatchObject({ state: 'firing', value: 8 / 60 });
    expect(second.slos[0]).toMatchObject({ good: 4, total: 12 });

    // b stops: its snapshot is withdrawn. a's next requests still count; b leaving is no reset.
    await b.clusterMetrics.stop();
    expect(notFound((await internalMetrics(a)).text, 'cp-b')).toBeUndefined();
    await request(a.app).get('/gone-again');
    nowMs += 60_000;
    const third = await run({ operation: 'evaluate' });
    expect(third.alerts[0]).toMatchObject({ state: 'firing', value: 1 / 60 });
    expect(third.slos[0]).toMatchObject({ good: 4, total: 13, counterResets: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('firewall decisions are metrics too, and /firewall/stats adds the totals of every live instance', async () => {
  await expect(b.firewall!.exec({ command: 'rm', args: ['-rf', '/'] }, 'key-b')).rejects.toMatchObject({ code: 'COMMAND_DENIED' });
  const own = await request(b.app).get('/metrics').set('authorization', `Bearer ${b.adminKey}`);
  expect(own.text).toMatch(/^jarvis_firewall_commands_total\{event="denied",reason="COMMAND_FORBIDDEN"\} 1$/m);
  await b.clusterMetrics.publish();
  const stats = await request(a.app).get('/api/v1/firewall/stats').set('authorization', `Bearer ${a.adminKey}`);
  expect(stats.status).toBe(200);
  // a itself denied nothing; the cluster did, on b.
  expect(stats.body).toMatchObject({ denied: 0, cluster: { denied: 1, deniedBy: { COMMAND_FORBIDDEN: 1 }, allowed: 0 } });
  expect(stats.body.cluster.instances.sort()).toEqual(['cp-a', 'cp-b']);
});

test('snapshots not refreshed for three intervals, or unreadable, are left out', async () => {
  await b.clusterMetrics.publish();
  expect(notFound((await internalMetrics(a)).text, 'cp-b')).toBeGreaterThan(0);
  await testDb.db.query(`UPDATE control_plane_metrics SET published_at = now() - interval '1 hour' WHERE instance = 'cp-b'`);
  await testDb.db.query(`INSERT INTO control_plane_metrics (instance, metrics) VALUES ('cp-broken', '{"not": "a snapshot"}')`);
  const res = await internalMetrics(a);
  expect(res.status).toBe(200);
  expect(res.text).not.toContain('cp-b');
  expect(res.text).not.toContain('cp-broken');
  expect(notFound(res.text, 'cp-a')).toBeGreaterThan(0);
});

test('on the embedded database nothing is published and the answer is the instance\'s own, labelled', async () => {
  const solo = await startTestPlane({ kind: 'pglite', instance: 'solo' });
  try {
    await solo.start();
    await request(solo.app).get('/nowhere');
    const res = await internalMetrics(solo);
    expect(notFound(res.text, 'solo')).toBe(1);
    expect(await solo.testDb.db.query('SELECT instance FROM control_plane_metrics')).toEqual([]);
  } finally {
    await solo.stop();
  }
});
