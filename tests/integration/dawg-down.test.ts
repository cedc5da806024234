import request from 'supertest';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { dropSchema } from '../helpers/db';
import { INTEGRATION_TOKEN } from '../helpers/servers';

// The test config points at 127.0.0.1:9, where nothing listens.
let plane: TestPlane;

beforeAll(async () => {
  plane = await startTestPlane({ env: { AI_DAWG_RETRIES: '0', AI_DAWG_BREAKER_RESET_MS: '4000' } });
});
afterAll(() => plane.stop());

const execute = () =>
  request(plane.app)
    .post('/api/v1/execute')
    .set('authorization', `Bearer ${INTEGRATION_TOKEN}`)
    .send({ module: 'testing', action: 'health-check' });

it('answers 503 while the DAWG is down, with Retry-After once the circuit is open', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await execute().expect(503);
    expect(res.body.error).toMatchObject({ code: 'DAWG_UNAVAILABLE', details: { reason: 'ECONNREFUSED' } });
  }
  const open = await execute().expect(503);
  expect(open.body.error.details).toMatchObject({ breaker: 'open', retryAfterMs: 4000 });
  expect(open.headers['retry-after']).toBe('4');
});

it('reports degraded health and an unreachable DAWG in /status', async () => {
  const health = await request(plane.app).get('/health/detailed').expect(200);
  expect(health.body).toMatchObject({ status: 'degraded', checks: { dawg: { status: 'down', breaker: 'open' }, database: { status: 'ok' } } });
  const status = await request(plane.app).get('/status').set('authorization', `Bearer ${INTEGRATION_TOKEN}`).expect(200);
  expect(status.body).toMatchObject({ dawg: { reachable: false, breaker: 'open' }, modules: [] });
});

it('answers 503 DATABASE_UNAVAILABLE, not 500 or 401, when API keys cannot be read', async () => {
  const other = await startTestPlane();
  try {
    await other.testDb.db.close();
    const res = await request(other.app).get('/status').set('x-api-key', other.userKey).expect(503);
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
    const health = await request(other.app).get('/health/detailed').expect(503);
    expect(health.body).toMatchObject({ status: 'down', checks: { database: { status: 'down' } } });
  } finally {
    other.close();
    await dropSchema(other.testDb.db.schema);
  }
});
