import request from 'supertest';
import type { AuditEntry } from '../../src/control-plane/audit';
import { auditPageSchema, auditVerifySchema } from '../../src/control-plane/http/audit-schemas';
import { tamper } from '../helpers/audit';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';

/** The audit routes over HTTP, and what the control plane records by itself: API requests, authentication failures, task events. */

let plane: TestPlane;
const keyId = (key: string) => /^jrv_([a-f0-9]{16})_/.exec(key)![1]!;
const FORGED = 'jrv_0123456789abcdef_' + 'A'.repeat(43);

beforeAll(async () => {
  plane = await startTestPlane({ env: { RATE_LIMIT_DEFAULT_MAX: '100000' } });
});
afterAll(async () => {
  await plane.stop();
});

/** Queries as admin once everything recorded so far is written. */
async function entries(query: Record<string, string>): Promise<AuditEntry[]> {
  await plane.audit.flush();
  const res = await request(plane.app).get('/api/v1/audit').query(query).set('x-api-key', plane.adminKey);
  expect(res.status).toBe(200);
  return auditPageSchema.parse(res.body).entries as AuditEntry[];
}

describe('audit routes', () => {
  it('are admin only', async () => {
    for (const [method, path] of [['get', '/api/v1/audit'], ['post', '/api/v1/audit/verify']] as const) {
      expect((await request(plane.app)[method](path)).status).toBe(401);
      expect((await request(plane.app)[method](path).set('x-api-key', plane.userKey)).status).toBe(403);
      expect((await request(plane.app)[method](path).set('x-api-key', plane.adminKey)).status).toBe(200);
    }
  });

  it('records every API request with method, route, status, duration, key id and request id', async () => {
    const res = await request(plane.app).get('/status').set('x-api-key', plane.userKey).set('x-request-id', 'audit-test-req-1');
    expect(res.status).toBe(200);
    const [entry] = await entries({ type: 'api.request', actor: keyId(plane.userKey), subject: '/status' });
    expect(entry).toMatchObject({ outcome: '200', details: { method: 'GET', path: '/status', status: 200, requestId: 'audit-test-req-1', keyId: keyId(plane.userKey) } });
    expect(typeof entry!.details.ms).toBe('number');
  });

  it('records authentication failures with ip, route and reason, never the presented token', async () => {
    await request(plane.app).get('/status').set('authorization', `Bearer ${FORGED}`).expect(401);
    await request(plane.app).get('/health').set('x-api-key', 'not-a-key-at-all').expect(200);
    await request(plane.app).get('/status').set('authorization', 'Basic abc').expect(401);
    await request(plane.app).get('/status').expect(401);
    await request(plane.app).get('/api/v1/audit').set('x-api-key', plane.userKey).expect(403);

    const failures = await entries({ type: 'auth.failure', limit: '5' });
    expect(failures.map((e) => [e.subject, e.outcome])).toEqual([
      ['/api/v1/audit', 'insufficient-scope'],
      ['/status', 'missing-credential'],
      ['/status', 'malformed-credential'],
      ['/health', 'invalid-credential'],
      ['/status', 'invalid-credential'],
    ]);
    expect(failures[0]).toMatchObject({ actor: keyId(plane.userKey), details: { requiredScope: 'admin', method: 'GET' } });
    expect(failures[4]!.details).toMatchObject({ reason: 'invalid-credential', claimedKeyId: '0123456789abcdef', ip: expect.stringMatching(/127\.0\.0\.1/) });
    const text = JSON.stringify(failures);
    expect(text).not.toContain('AAAAAAAAAA');
    expect(text).not.toContain('not-a-key-at-all');
    expect(text).not.toContain(plane.userKey);
  });

  it('records API key creation and revocation as infrastructure changes, never the key', async () => {
    const created = await request(plane.app).post('/api/v1/admin/api-keys').set('x-api-key', plane.adminKey).send({ name: 'ci-bot', scopes: ['devops'] }).expect(201);
    await request(plane.app).delete(`/api/v1/admin/api-keys/${created.body.id}`).set('x-api-key', plane.adminKey).expect(200);
    const changes = await entries({ type: 'infra.change', subject: `api-key:${created.body.id}` });
    expect(changes.map((e) => e.outcome)).toEqual(['revoked', 'created']);
    expect(changes[1]).toMatchObject({ actor: keyId(plane.adminKey), details: { name: 'ci-bot', scopes: ['devops'] } });
    expect(created.body.key).toMatch(/^jrv_/);
    expect(JSON.stringify(changes)).not.toContain(created.body.key);
  });

  it('records agent task events (not progress)', async () => {
    plane.agents!.bus.publish({ type: 'task.created', jobId: 'tsk_audit-test', agent: 'DataScientist', taskType: 'analyze', data: { scheduleId: 'sch_x' } });
    plane.agents!.bus.publish({ type: 'task.progress', jobId: 'tsk_audit-test', agent: 'DataScientist', data: { percent: 10 } });
    const events = await entries({ type: 'task.event', subject: 'tsk_audit-test' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'DataScientist', outcome: 'task.created', details: { taskId: 'tsk_audit-test', taskType: 'analyze', data: { scheduleId: 'sch_x' } } });
  });

  it('filters by type prefix and time, and pages with before', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    for (let i = 0; i < 3; i++) await request(plane.app).get('/health').expect(200);
    const all = await entries({ type: 'api.*', subject: '/health', from: since });
    expect(all).toHaveLength(3);
    const seqs = all.map((e) => e.seq);

    const page = await request(plane.app).get('/api/v1/audit').query({ subject: '/health', from: since, limit: '2' }).set('x-api-key', plane.adminKey);
    expect(page.body.entries.map((e: AuditEntry) => e.seq)).toEqual(seqs.slice(0, 2));
    expect(page.body.nextBefore).toBe(seqs[1]);
    const older = await request(plane.app).get('/api/v1/audit').query({ subject: '/health', from: since, limit: '2', before: String(page.body.nextBefore) }).set('x-api-key', plane.adminKey);
    expect(older.body).toMatchObject({ entries: [{ seq: seqs[2] }], nextBefore: null });

    const earlier = await entries({ subject: '/health', to: since });
    expect(earlier.filter((e) => seqs.includes(e.seq))).toEqual([]);
  });

  it('answers 400 naming the field for a bad filter', async () => {
    const bad = async (query: Record<string, string>) => (await request(plane.app).get('/api/v1/audit').query(query).set('x-api-key', plane.adminKey)).body;
    expect(await bad({ type: 'Command Denied' })).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ field: 'query.type' }] } } });
    expect(await bad({ limit: '0' })).toMatchObject({ error: { details: { issues: [{ field: 'query.limit' }] } } });
    expect(await bad({ from: 'yesterday' })).toMatchObject({ error: { details: { issues: [{ field: 'query.from' }] } } });
    expect(await bad({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toMatchObject({ error: { details: { issues: [{ field: 'query.to' }] } } });
    expect(await bad({ colour: 'red' })).toMatchObject({ error: { details: { issues: [{ field: 'query.colour' }] } } });
  });

  it('POST /api/v1/audit/verify reports an intact chain, then names the first altered entry', async () => {
    await plane.audit.flush();
    const intact = await request(plane.app).post('/api/v1/audit/verify').set('x-api-key', plane.adminKey).expect(200);
    expect(auditVerifySchema.parse(intact.body)).toMatchObject({ ok: true });
    expect(intact.body.checked).toBeGreaterThan(10);

    await tamper(plane.testDb.db, `UPDATE audit_log SET outcome = '500' WHERE seq = 5`);
    const broken = await request(plane.app).post('/api/v1/audit/verify').set('x-api-key', plane.adminKey).expect(200);
    expect(auditVerifySchema.parse(broken.body)).toMatchObject({ ok: false, checked: 4, firstBroken: { seq: 5, reason: expect.stringMatching(/edited/) } });
  });
});
