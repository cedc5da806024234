import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { jarvisSourceThrough, registerDataModules, type DataModules } from '../../src/dawg/modules/data-modules';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, startDawg, type Listening, type TestDawg } from '../helpers/servers';

/*
 * Source "jarvis" the way `npm start` runs it on the embedded default: POST /api/v1/execute →
 * the DAWG's analytics.query → the control plane's internal route → the copy of the tables in
 * a worker thread, and every answer back the same way.
 */

jest.setTimeout(60_000);

let dawg: TestDawg;
let plane: TestPlane;
let planeHttp: Listening;
let data: DataModules;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jarvis-source-chain-'));
  dawg = await startDawg({ dataDir: dir });
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url } });
  planeHttp = await listen(plane.app);
  const controlPlane = new HttpControlPlaneClient({ baseUrl: planeHttp.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 30_000 });
  data = await registerDataModules({ dataDir: dir, databaseFile: ':memory:', registry: dawg.registry, logger: silentLogger(), jarvisSource: jarvisSourceThrough(controlPlane) });
  for (const status of ['completed', 'completed', 'failed']) {
    await plane.testDb.db.query(
      `INSERT INTO tasks (id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable) VALUES ($1, 'DataScientist', 'noop', 'low', '{}', $2, 1, 1000, true)`,
      [`tsk_${randomUUID()}`, status],
    );
  }
});

afterAll(async () => {
  await planeHttp?.close();
  await plane?.stop();
  await dawg?.close();
  data?.close();
  await rm(dir, { recursive: true, force: true });
});

const query = (key: string, sql: string) =>
  request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${key}`).send({ module: 'analytics', action: 'query', params: { source: 'jarvis', sql } });

it('answers an admin key from the copy of the tables on the embedded database', async () => {
  const res = await query(plane.adminKey, 'SELECT status, count(*)::int AS n FROM tasks GROUP BY status ORDER BY status');
  expect(res.status).toBe(200);
  expect(res.body.result).toMatchObject({ source: 'jarvis', rows: [{ status: 'completed', n: 2 }, { status: 'failed', n: 1 }], rowCount: 2 });
  expect(res.body.result.hints[0]).toContain('Embedded database: answered from a copy of the tables taken at');
});

it('passes the control plane’s refusals through to the caller, with the field named', async () => {
  const outside = await query(plane.adminKey, 'SELECT * FROM api_keys');
  expect(outside.status).toBe(400);
  expect(outside.body.error.details.issues[0]).toMatchObject({ field: 'params.sql', message: expect.stringContaining('source jarvis has only the tables') });
  const plain = await query(plane.userKey, 'SELECT 1');
  expect(plain.status).toBe(403);
  expect(plain.body.error.message).toContain('admin scope');
});
