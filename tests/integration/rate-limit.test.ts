import request from 'supertest';
import { connectRedis, type RedisClient } from '../../src/common/kv';
import { openTestDb, TEST_REDIS_URL, uniqueName, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';
import { listenWithHub, startTestPlane, type TestPlane } from '../helpers/control-plane';
import { TestSocket } from '../helpers/ws-client';
import { INTEGRATION_TOKEN } from '../helpers/servers';

const limits = {
  RATE_LIMIT_HEALTH_MAX: '4',
  RATE_LIMIT_EXECUTE_MAX: '3',
  RATE_LIMIT_DEFAULT_MAX: '5',
  RATE_LIMIT_WINDOW_MS: '60000',
};

describe('in-process store', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane({ env: limits });
  });
  afterAll(() => plane.stop());

  it('limits /health per IP with 429, Retry-After and standard RateLimit headers', async () => {
    for (let i = 0; i < 4; i++) {
      const ok = await request(plane.app).get('/health').expect(200);
      expect(ok.headers['ratelimit-policy']).toBe('4;w=60');
      expect(ok.headers['ratelimit']).toMatch(new RegExp(`^limit=4, remaining=${3 - i}, reset=\\d+$`));
    }
    const limited = await request(plane.app).get('/health').expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { group: 'health', limit: 4 } });
  });

  it('counts each route family separately and each API key separately', async () => {
    // /health is exhausted for this IP above; /status (default family) is not.
    await request(plane.app).get('/status').set('x-api-key', plane.userKey).expect(200);
    for (let i = 0; i < 3; i++) {
      await request(plane.app).post('/api/v1/execute').set('x-api-key', plane.userKey).send({}).expect(400);
    }
    await request(plane.app).post('/api/v1/execute').set('x-api-key', plane.userKey).send({}).expect(429);
    // Another key has its own budget.
    await request(plane.app).post('/api/v1/execute').set('x-api-key', plane.adminKey).send({}).expect(400);
  });
});

describe('failed authentications', () => {
  let plane: TestPlane;
  let lookups = 0;
  beforeAll(async () => {
    plane = await startTestPlane({ env: { ...limits, RATE_LIMIT_AUTH_FAILURES_MAX: '3' } });
    const original = plane.apiKeys.authenticate.bind(plane.apiKeys);
    plane.apiKeys.authenticate = (credential: string) => {
      lookups++;
      return original(credential);
    };
  });
  afterAll(() => plane.stop());

  it('refuses credentialed requests from an address after repeated 401s, before looking the key up', async () => {
    const forged = () => request(plane.app).get('/status').set('x-api-key', `jrv_${'ab'.repeat(8)}_${'A'.repeat(43)}`);
    // A working client on the same address (a shared NAT) whose key was read a moment ago.
    await request(plane.app).get('/status').set('x-api-key', plane.adminKey).expect(200);
    lookups = 0;
    for (let i = 0; i < 3; i++) await forged().expect(401);
    expect(lookups).toBe(3);
    const refused = await forged().expect(429);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES', details: { limit: 3 } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(lookups).toBe(3);
    // Requests without credentials are not affected; successful ones never counted, and a key
    // already known is let through.
    await request(plane.app).get('/health/detailed').expect(200);
    await request(plane.app).get('/status').set('x-api-key', plane.adminKey).expect(200);
    await request(plane.app).get('/status').set('authorization', `Bearer ${INTEGRATION_TOKEN}`).expect(200);

    // The WebSocket hub shares the count (in-process store): the address is refused there too,
    // before any lookup, while the known key still connects.
    const server = await listenWithHub(plane);
    try {
      const forgedSocket = await TestSocket.open(server.wsUrl, { headers: { 'x-api-key': `jrv_${'cd'.repeat(8)}_${'A'.repeat(43)}` } });
      expect(await forgedSocket.closed).toMatchObject({ code: 1013, reason: expect.stringContaining('too many failed authentications') });
      expect(lookups).toBe(3);
      const known = await TestSocket.open(server.wsUrl, { headers: { 'x-api-key': plane.adminKey } });
      expect(await known.waitFor((m) => m.type === 'ready')).toMatchObject({ principal: { kind: 'api-key' } });
      known.close();
    } finally {
      await server.close();
    }
  });
});

describe('Redis store shared by two instances', () => {
  let redisA: RedisClient;
  let redisB: RedisClient;
  let testDb: TestDb;
  let a: TestPlane;
  let b: TestPlane;
  const prefix = `${uniqueName('rl')}:`;

  beforeAll(async () => {
    const logger = silentLogger();
    redisA = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger });
    redisB = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger });
    testDb = await openTestDb('postgres');
    const env = { ...limits, REDIS_KEY_PREFIX: prefix };
    a = await startTestPlane({ env, redis: redisA, testDb });
    b = await startTestPlane({ env, redis: redisB, testDb });
  });

  afterAll(async () => {
    a.stop();
    b.stop();
    const keys = await redisA.keys(`${prefix}*`);
    if (keys.length) await redisA.del(keys);
    await redisA.quit();
    await redisB.quit();
    await testDb.drop();
  });

  it('enforces one execute budget across both instances, keyed by the caller', async () => {
    const call = (plane: TestPlane) =>
      request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${INTEGRATION_TOKEN}`).send({});
    await call(a).expect(400);
    await call(b).expect(400);
    await call(a).expect(400);
    const limited = await call(b).expect(429);
    expect(limited.body.error.details).toMatchObject({ group: 'execute', limit: 3 });
    await call(a).expect(429);
    expect(await redisA.keys(`${prefix}rl:execute:*`)).toHaveLength(1);
  });

  it('reports Redis in /health/detailed', async () => {
    const res = await request(a.app).get('/health/detailed').expect(200);
    expect(res.body.checks.redis).toMatchObject({ status: 'ok', latencyMs: expect.any(Number) });
  });
});
