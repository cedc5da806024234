import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { capturingLogger } from '../helpers/logger';
import { createProbeModule, type ProbeState } from '../helpers/probe-module';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { INTEGRATION_TOKEN, startDawg, type TestDawg } from '../helpers/servers';

let dawg: TestDawg;
let plane: TestPlane;
const probe: ProbeState = { slowCalls: 0, aborted: 0 };
const logs = capturingLogger();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  dawg = await startDawg();
  dawg.registry.register(createProbeModule(probe));
  plane = await startTestPlane({
    logger: logs.logger,
    env: {
      AI_DAWG_BACKEND_URL: dawg.url,
      AI_DAWG_TIMEOUT_MS: '300',
      CORS_ORIGINS: 'https://app.example.com',
      JSON_BODY_LIMIT: '2kb',
    },
  });
});

afterAll(async () => {
  await plane.stop();
  await dawg.close();
});

describe('health', () => {
  it('GET /health is public and says ok', async () => {
    const res = await request(plane.app).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', service: 'jarvis-control-plane', version: expect.any(String) });
  });

  it('GET /health/detailed reports each dependency with status and latency', async () => {
    const res = await request(plane.app).get('/health/detailed').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.database).toMatchObject({ status: 'ok', backend: 'postgres', latencyMs: expect.any(Number) });
    expect(res.body.checks.redis).toMatchObject({ status: 'disabled' });
    expect(res.body.checks.dawg).toMatchObject({ status: 'ok', breaker: 'closed', latencyMs: expect.any(Number) });
  });
});

describe('request ids, security headers, CORS, 404', () => {
  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const given = await request(plane.app).get('/health').set('x-request-id', 'trace-123').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-123');
    const bad = await request(plane.app).get('/health').set('x-request-id', 'bad id with spaces').expect(200);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets helmet headers', async () => {
    const res = await request(plane.app).get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('allows only the configured origins', async () => {
    const ok = await request(plane.app).get('/health').set('origin', 'https://app.example.com');
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await request(plane.app).get('/health').set('origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(plane.app).get('/nope').set(bearer(INTEGRATION_TOKEN)).expect(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /nope' } });
  });
});

describe('GET /status', () => {
  it('needs credentials', async () => {
    const res = await request(plane.app).get('/status').expect(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('rejects a wrong token and a non-Bearer scheme', async () => {
    await request(plane.app).get('/status').set(bearer('wrong-token')).expect(401);
    await request(plane.app).get('/status').set('authorization', `Basic ${INTEGRATION_TOKEN}`).expect(401);
  });

  it('reports version, features, storage and the modules the DAWG really runs', async () => {
    const res = await request(plane.app).get('/status').set(bearer(INTEGRATION_TOKEN)).expect(200);
    expect(res.body).toMatchObject({
      service: 'jarvis-control-plane',
      environment: 'test',
      features: { agentSystem: true, memoryLayer: true, terminalFirewall: true },
      storage: { database: 'postgres', kv: 'memory' },
      dawg: { reachable: true, breaker: 'closed' },
    });
    expect(res.body.modules).toEqual([
      { name: 'testing', version: '1.0.0', actions: ['health-check', 'validate-system'] },
      { name: 'probe', version: '0.0.1', actions: ['echo', 'slow', 'slow-declared', 'unavailable', 'crash'] },
    ]);
  });

  it('accepts an API key as Bearer or as X-API-Key', async () => {
    await request(plane.app).get('/status').set(bearer(plane.userKey)).expect(200);
    await request(plane.app).get('/status').set('x-api-key', plane.userKey).expect(200);
  });
});

describe('POST /api/v1/execute', () => {
  const execute = (body: unknown) => request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).send(body as object);

  it('runs a DAWG action and returns its result', async () => {
    const res = await execute({ module: 'testing', action: 'health-check', params: {} }).expect(200);
    expect(res.body).toMatchObject({ module: 'testing', action: 'health-check', durationMs: expect.any(Number) });
    expect(res.body.result).toMatchObject({ status: 'ok', modules: ['testing', 'probe'], memory: { rssMiB: expect.any(Number) } });
  });

  it('runs validate-system checks for real', async () => {
    const res = await execute({ module: 'testing', action: 'validate-system', params: { checks: ['node-version', 'heap'] } }).expect(200);
    expect(res.body.result.ok).toBe(true);
    expect(res.body.result.checks.map((c: { name: string }) => c.name)).toEqual(['node-version', 'heap']);
  });

  it('defaults params to {} and carries the request id to the DAWG', async () => {
    const res = await request(plane.app)
      .post('/api/v1/execute')
      .set(bearer(INTEGRATION_TOKEN))
      .set('x-request-id', 'req-echo-1')
      .send({ module: 'probe', action: 'echo', params: { text: 'hi', times: 2 } })
      .expect(200);
    expect(res.body.result).toEqual({ text: 'hihi', requestId: 'req-echo-1' });
    await execute({ module: 'testing', action: 'health-check' }).expect(200);
  });

  it.each([
    [{ action: 'echo' }, 'body.module'],
    [{ module: 'probe' }, 'body.action'],
    [{ module: 'Probe!', action: 'echo' }, 'body.module'],
    [{ module: 'probe', action: 'echo', params: 'text' }, 'body.params'],
    [{ module: 'probe', action: 'echo', extra: 1 }, 'body.extra'],
  ])('rejects %j with 400 naming %s', async (body, field) => {
    const res = await execute(body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.details.issues.map((i: { field: string }) => i.field)).toContain(field);
  });

  it('passes the DAWG 400 through, naming the offending params', async () => {
    const res = await execute({ module: 'probe', action: 'echo', params: { text: '', times: 9, bogus: true } }).expect(400);
    const fields = res.body.error.details.issues.map((i: { field: string }) => i.field).sort();
    expect(fields).toEqual(['params.bogus', 'params.text', 'params.times']);
  });

  it('404s an unknown module or action, listing what exists', async () => {
    const mod = await execute({ module: 'music', action: 'generate' }).expect(404);
    expect(mod.body.error).toMatchObject({ code: 'UNKNOWN_MODULE', details: { available: ['testing', 'probe'] } });
    const act = await execute({ module: 'testing', action: 'explode' }).expect(404);
    expect(act.body.error).toMatchObject({ code: 'UNKNOWN_ACTION', details: { module: 'testing', available: ['health-check', 'validate-system'] } });
  });

  it('maps a DAWG crash to 502 without leaking its internals', async () => {
    const res = await execute({ module: 'probe', action: 'crash' }).expect(502);
    expect(res.body.error.code).toBe('DAWG_ERROR');
    expect(JSON.stringify(res.body)).not.toContain('internal detail');
  });

  it('answers 504 when the DAWG is slower than the timeout, and does not retry the action', async () => {
    const before = probe.slowCalls;
    const res = await execute({ module: 'probe', action: 'slow', params: { ms: 2_000 } }).expect(504);
    expect(res.body.error.code).toBe('DAWG_TIMEOUT');
    expect(probe.slowCalls - before).toBe(1);
  });

  it('rejects malformed JSON and oversized bodies', async () => {
    const bad = await request(plane.app)
      .post('/api/v1/execute')
      .set(bearer(INTEGRATION_TOKEN))
      .set('content-type', 'application/json')
      .send('{"module":')
      .expect(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const big = await execute({ module: 'probe', action: 'echo', params: { text: 'x'.repeat(5_000) } }).expect(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400, never 500, for a body whose Content-Encoding does not decompress and for a path with malformed percent-encoding', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).set('content-type', 'application/json').set('content-encoding', encoding).send('{"module":"probe"}').expect(400);
      expect(res.body.error.code).toBe('INVALID_CONTENT_ENCODING');
    }
    // A body that is what its Content-Encoding says is read as usual.
    const zipped = gzipSync(JSON.stringify({ module: 'probe', action: 'echo', params: { text: 'zipped' } }));
    const ok = await request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).set('content-type', 'application/json').set('content-encoding', 'gzip').serialize((b: Buffer) => b as unknown as string).send(zipped).expect(200);
    expect(ok.body.result).toMatchObject({ text: 'zipped' });
    for (const path of ['/api/v1/agents/%E0%A4%A/tasks', '/integrations/chatgpt/jobs/%C0', '/api/v1/workflows/%FF']) {
      const res = await request(plane.app).get(path).set(bearer(INTEGRATION_TOKEN)).expect(400);
      expect(res.body.error).toEqual({ code: 'INVALID_PATH', message: expect.stringContaining('malformed percent-encoding') });
    }
  });

  it('answers 415 naming the content type for a body sent as a form or text, and 400 naming the body when there is none', async () => {
    const cases: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'module=probe'],
      ['text/plain', '{"module":"probe","action":"echo"}'],
    ];
    for (const [type, body] of cases) {
      const res = await request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).set('content-type', type).send(body).expect(415);
      expect(res.body.error).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: expect.stringContaining(`Content-Type: application/json (got ${type})`),
        details: { issues: [{ field: 'headers.content-type', message: 'must be application/json' }] },
      });
    }
    const none = await request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).expect(400);
    expect(none.body.error.details.issues).toEqual([expect.objectContaining({ field: 'body' })]);
    // JSON with a charset is JSON.
    await request(plane.app).post('/api/v1/execute').set(bearer(INTEGRATION_TOKEN)).set('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ module: 'probe', action: 'echo', params: { text: 'hi' } })).expect(200);
  });
});

describe('admin: API keys', () => {
  const admin = () => bearer(plane.adminKey);

  it('creates a key shown once, lists it without the secret, and revokes it', async () => {
    const created = await request(plane.app).post('/api/v1/admin/api-keys').set(admin()).send({ name: 'dashboard', scopes: ['devops'] }).expect(201);
    expect(created.body).toMatchObject({ name: 'dashboard', scopes: ['devops'], key: expect.stringMatching(/^jrv_/) });
    await request(plane.app).get('/status').set(bearer(created.body.key)).expect(200);

    const listed = await request(plane.app).get('/api/v1/admin/api-keys').set(admin()).expect(200);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    const revoked = await request(plane.app).delete(`/api/v1/admin/api-keys/${created.body.id}`).set(admin()).expect(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    await request(plane.app).get('/status').set(bearer(created.body.key)).expect(401);

    const all = await request(plane.app).get('/api/v1/admin/api-keys?includeRevoked=true').set(admin()).expect(200);
    expect(all.body.keys.find((k: { id: string }) => k.id === created.body.id).revokedAt).not.toBeNull();
  });

  it('is forbidden to keys without the admin scope', async () => {
    const res = await request(plane.app).get('/api/v1/admin/api-keys').set(bearer(plane.userKey)).expect(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', details: { requiredScope: 'admin' } });
    await request(plane.app).get('/api/v1/admin/api-keys').set(bearer(INTEGRATION_TOKEN)).expect(403);
  });

  it('names the offending fields', async () => {
    const res = await request(plane.app).post('/api/v1/admin/api-keys').set(admin()).send({ name: '', scopes: ['root'] }).expect(400);
    const fields = res.body.error.details.issues.map((i: { field: string }) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.scopes.0']));
    await request(plane.app).delete('/api/v1/admin/api-keys/not-an-id').set(admin()).expect(400);
    await request(plane.app).delete('/api/v1/admin/api-keys/ffffffffffffffff').set(admin()).expect(404);
    await request(plane.app).get('/api/v1/admin/api-keys?includeRevoked=maybe').set(admin()).expect(400);
  });
});

describe('request log', () => {
  it('logs method, path, status, ms, request id and key id, and never a credential', async () => {
    await request(plane.app).get('/status?token=should-not-appear').set('x-api-key', plane.userKey).set('x-request-id', 'log-check-1').expect(200);
    const line = logs.lines().find((l) => l.message === 'request' && l.requestId === 'log-check-1');
    expect(line).toMatchObject({ method: 'GET', path: '/status', status: 200, ms: expect.any(Number), keyId: plane.userKey.slice(4, 20) });
    const text = logs.text();
    expect(text).not.toContain(plane.userKey);
    expect(text).not.toContain(plane.adminKey);
    expect(text).not.toContain(INTEGRATION_TOKEN);
    expect(text).not.toContain('should-not-appear');
  });
});
