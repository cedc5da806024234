import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { buildDawgApp } from '../../src/dawg/app';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { defineAction, defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN } from '../helpers/servers';

const auth = { authorization: `Bearer ${SERVICE_TOKEN}` };
let tmp: string;

function build(dataDir: string) {
  const registry = new ModuleRegistry();
  registry.register(createTestingModule({ listModules: () => registry.names(), dataDir, startedAt: Date.now() - 5_000 }));
  const app = buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now() });
  return { app, registry };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jarvis-dawg-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

it('serves /health without a token and everything else only with the service token', async () => {
  const { app } = build(tmp);
  await request(app).get('/health').expect(200);
  await request(app).get('/api/v1/modules').expect(401);
  await request(app).get('/api/v1/modules').set({ authorization: 'Bearer wrong' }).expect(401);
  await request(app).post('/api/v1/execute').send({ module: 'testing', action: 'health-check' }).expect(401);
  await request(app).get('/api/v1/modules').set(auth).expect(200);
});

it('publishes each action with a JSON Schema of its params', async () => {
  const { app } = build(tmp);
  const res = await request(app).get('/api/v1/modules').set(auth).expect(200);
  const testing = res.body.modules[0];
  expect(testing.name).toBe('testing');
  const validate = testing.actions.find((a: { name: string }) => a.name === 'validate-system');
  expect(validate.paramsSchema).toMatchObject({
    type: 'object',
    additionalProperties: false,
    properties: { checks: { type: 'array', items: { enum: ['node-version', 'data-dir', 'dependencies', 'event-loop', 'heap'] } } },
  });
});

it('health-check reports uptime, memory and modules', async () => {
  const { app } = build(tmp);
  const res = await request(app).post('/api/v1/execute').set(auth).send({ module: 'testing', action: 'health-check', params: {} }).expect(200);
  expect(res.body.result.uptimeSeconds).toBeGreaterThanOrEqual(5);
  expect(res.body.result.modules).toEqual(['testing']);
  expect(res.body.result.memory.heapUsedMiB).toBeGreaterThan(0);
  // One reading serves the calls of the next second, and says when it was taken.
  const sampledAt = Date.parse(res.body.result.memory.sampledAt);
  expect(Date.now() - sampledAt).toBeLessThan(5_000);
  const again = await request(app).post('/api/v1/execute').set(auth).send({ module: 'testing', action: 'health-check', params: {} }).expect(200);
  const secondSample = Date.parse(again.body.result.memory.sampledAt);
  expect(secondSample === sampledAt || secondSample - sampledAt >= 1_000).toBe(true);
});

it('validate-system fails the data-dir check when the directory cannot be written', async () => {
  const blocker = path.join(tmp, 'a-file');
  await writeFile(blocker, 'x');
  const { app } = build(path.join(blocker, 'sub'));
  const res = await request(app)
    .post('/api/v1/execute')
    .set(auth)
    .send({ module: 'testing', action: 'validate-system', params: { checks: ['data-dir', 'dependencies'] } })
    .expect(200);
  expect(res.body.result.ok).toBe(false);
  expect(res.body.result.checks).toEqual([
    expect.objectContaining({ name: 'data-dir', ok: false }),
    expect.objectContaining({ name: 'dependencies', ok: true }),
  ]);
});

it('rejects unknown check names with the field named', async () => {
  const { app } = build(tmp);
  const res = await request(app)
    .post('/api/v1/execute')
    .set(auth)
    .send({ module: 'testing', action: 'validate-system', params: { checks: ['disk'] } })
    .expect(400);
  expect(res.body.error.details.issues[0].field).toBe('params.checks.0');
});

it('answers 415 naming the content type for an execute body that is not JSON (the parser both services share)', async () => {
  const { app } = build(tmp);
  const res = await request(app).post('/api/v1/execute').set(auth).set('content-type', 'text/plain').send('{"module":"testing","action":"health-check"}').expect(415);
  expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', details: { issues: [{ field: 'headers.content-type', message: 'must be application/json' }] } });
});

it('answers 400 for an execute body whose Content-Encoding does not decompress (the error mapper both services share)', async () => {
  const { app } = build(tmp);
  const res = await request(app).post('/api/v1/execute').set(auth).set('content-type', 'application/json').set('content-encoding', 'gzip').send('{"module":"testing"}').expect(400);
  expect(res.body.error.code).toBe('INVALID_CONTENT_ENCODING');
});

describe('module SDK', () => {
  it('refuses duplicate modules and invalid names at registration', () => {
    const { registry } = build(tmp);
    const mod = (name: string, action = 'go') =>
      defineModule({
        name,
        description: 'x',
        version: '1.0.0',
        actions: { [action]: defineAction({ description: 'x', params: z.object({}), handler: async () => null }) },
      });
    expect(() => registry.register(mod('testing'))).toThrow(/already registered/);
    expect(() => registry.register(mod('Bad Name'))).toThrow(/module.name/);
    expect(() => registry.register(mod('fine', 'Bad Action'))).toThrow(/actions/);
  });

  it('refuses, at start, a params schema that cannot be published as JSON Schema', () => {
    const { registry } = build(tmp);
    const broken = defineModule({
      name: 'broken',
      description: 'x',
      version: '1.0.0',
      actions: { go: defineAction({ description: 'x', params: z.object({ when: z.date() }), handler: async () => null }) },
    });
    expect(() => registry.register(broken)).toThrow();
    expect(registry.names()).toEqual(['testing']);
  });

  it('hands the handler its parsed params with defaults applied', async () => {
    const { app, registry } = build(tmp);
    registry.register(
      defineModule({
        name: 'math',
        description: 'x',
        version: '1.0.0',
        actions: {
          add: defineAction({
            description: 'adds',
            params: z.object({ a: z.number(), b: z.number().default(10) }).strict(),
            handler: async (p) => p.a + p.b,
          }),
        },
      }),
    );
    const res = await request(app).post('/api/v1/execute').set(auth).send({ module: 'math', action: 'add', params: { a: 1 } }).expect(200);
    expect(res.body.result).toBe(11);
  });
});

it('a caller that goes away stops the action through its signal, and is no error of the DAWG', async () => {
  const { logger, lines } = capturingLogger();
  const registry = new ModuleRegistry();
  let stopped: (reason: unknown) => void;
  const stoppedWith = new Promise<unknown>((resolve) => (stopped = resolve));
  registry.register(
    defineModule({
      name: 'probe', description: 'test', version: '1',
      actions: {
        wait: defineAction({
          description: 'waits for its signal',
          params: z.object({}),
          handler: (_p, ctx) =>
            new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => (stopped(ctx.signal.reason), reject(ctx.signal.reason)), { once: true })),
        }),
      },
    }),
  );
  const server = await listen(buildDawgApp({ registry, logger, serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now() }));
  try {
    const caller = new AbortController();
    const call = fetch(`${server.url}/api/v1/execute`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ module: 'probe', action: 'wait', params: {} }), signal: caller.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    caller.abort();
    await expect(call).rejects.toThrow();
    expect(await stoppedWith).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines().filter((l) => l.level === 'error')).toEqual([]);
    expect(lines()).toContainEqual(expect.objectContaining({ level: 'info', message: 'execute: the caller went away before the answer', module: 'probe', action: 'wait' }));
  } finally {
    await server.close();
  }
});
