import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axios from 'axios';
import request from 'supertest';
import { DEFAULT_MODELS, ModuleDispatcher } from '../../src/control-plane/ai-router';
import { SunoProvider, UdioProvider, type SongProviderConfig } from '../../src/dawg/providers';
import { waitForTask } from '../helpers/agent-system';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { startFake, sunoFake, toneWav, udioFake, type Fake, type Routes } from '../helpers/fake-music-providers';
import { SERVICE_TOKEN } from '../helpers/servers';

// creative.generate-audio with provider `auto`: the control plane's AI router picks the song
// provider, books each attempt in the ledger, counts failures in the provider's circuit and
// falls back. Real AI DAWG, real PostgreSQL, fake Suno and Udio servers speaking their formats.

jest.setTimeout(60_000);

const http0 = axios.create({ proxy: false });
/** Suno's price per song in this test's catalog file, so budgets have something to limit. */
const SUNO_PRICE = 0.05;

let suno: Fake;
let udio: Fake;
let sunoFails = false;
let sunoLimited = false;
let dawg: AudioDawg;
let plane: TestPlane;
let dir: string;

const wav = toneWav(2);
/** Suno's fake: failing its generations while `sunoFails` is set (GENERATE_AUDIO_FAILED), answering 429 while `sunoLimited` is. */
function switchableSuno(): Routes {
  const ok = sunoFake({ pendingPolls: 0, audio: { raw: wav } });
  const failing = sunoFake({ pendingPolls: 0, fail: { code: 'GENERATE_AUDIO_FAILED', message: 'the model is overloaded' } });
  const limited = sunoFake({ submit: { status: 429, headers: { 'retry-after': '30' }, json: { code: 429, msg: 'slow down' } } });
  return (req, base) => (sunoLimited ? limited : sunoFails ? failing : ok)(req, base);
}

const generations = (fake: Fake) => fake.seen.filter((s) => s.method === 'POST' && (s.path === '/api/v1/generate' || s.path === '/v1/songs')).length;

beforeAll(async () => {
  [suno, udio] = await Promise.all([startFake(switchableSuno()), startFake(udioFake({ pendingPolls: 0, audio: { raw: wav } }))]);
  const config = (fake: Fake): SongProviderConfig => ({ baseUrl: fake.url, apiKey: 'test-music-key', pollIntervalMs: 5, timeoutMs: 10_000, maxBytes: 10_000_000 });
  dawg = await startAudioDawg({ providers: { suno: new SunoProvider(config(suno), { http: http0 }), udio: new UdioProvider(config(udio), { http: http0 }) } });
  dir = await mkdtemp(path.join(tmpdir(), 'jarvis-music-routing-'));
  const catalogFile = path.join(dir, 'catalog.json');
  await writeFile(catalogFile, JSON.stringify({ 'suno-v3': { ...DEFAULT_MODELS['suno-v3'], costPerRequest: SUNO_PRICE } }));
  plane = await startTestPlane({
    env: { AI_DAWG_BACKEND_URL: dawg.url, SUNO_API_KEY: 'test-music-key', UDIO_API_KEY: 'test-music-key', AI_ROUTER_CATALOG_FILE: catalogFile, AI_ROUTER_BREAKER_COOLDOWN_MS: '600000' },
    runTasks: true,
  });
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await Promise.all([suno?.close(), udio?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sunoFails = false;
  sunoLimited = false;
});

const song = (params: Record<string, unknown>) => ({ module: 'creative', action: 'generate-audio', params: { prompt: 'synthwave night drive', title: 'Neon', ...params } });
const execute = (body: object, key = plane.userKey) => request(plane.app).post('/api/v1/execute').set('X-API-Key', key).send(body);

async function ledgerOf(requestId: string) {
  return plane.testDb.db.query<{ provider: string; model_key: string; outcome: string; cost_usd: number; caller_key_id: string | null; caller_agent: string | null; caller_task_id: string | null }>(
    'SELECT provider, model_key, outcome, cost_usd::float8 AS cost_usd, caller_key_id, caller_agent, caller_task_id FROM ai_ledger WHERE request_id = $1 ORDER BY attempt',
    [requestId],
  );
}

const ledgerCount = async () => Number((await plane.testDb.db.query<{ n: string }>('SELECT count(*)::text AS n FROM ai_ledger'))[0]!.n);

describe('provider auto through POST /api/v1/execute', () => {
  test('quality-optimized: Suno makes the song, its price is booked to the key, the result says why', async () => {
    const before = { suno: generations(suno), udio: generations(udio) };
    const res = await execute(song({ provider: 'auto', strategy: 'quality-optimized', lyrics: '[Verse] city lights' }));
    expect(res.status).toBe(200);
    const { result } = res.body;
    expect(result.provider).toBe('suno');
    expect(result.analysis.durationSeconds).toBeCloseTo(2, 1);
    expect(result.routing).toMatchObject({ model: 'suno-v3', provider: 'suno', strategy: 'quality-optimized', fallbackUsed: false, costUsd: SUNO_PRICE });
    expect(result.routing.reason).toMatch(/highest quality/);
    expect(result.routing.attempts).toEqual([expect.objectContaining({ model: 'suno-v3', outcome: 'ok' })]);
    expect({ suno: generations(suno), udio: generations(udio) }).toEqual({ suno: before.suno + 1, udio: before.udio });
    // The song is a real stored file in a project, as with provider suno.
    const file = await request(plane.app).get(`/api/v1/audio/files/${result.fileId}/meta`).set('X-API-Key', plane.userKey);
    expect(file.status).toBe(200);
    expect(await ledgerOf(result.routing.requestId)).toEqual([
      { provider: 'suno', model_key: 'suno-v3', outcome: 'ok', cost_usd: SUNO_PRICE, caller_key_id: plane.userKeyId, caller_agent: null, caller_task_id: null },
    ]);
  });

  test('a per-call budget of low (nothing may cost) leaves Udio, and Suno is not called', async () => {
    const before = generations(suno);
    const res = await execute(song({ provider: 'auto', strategy: 'quality-optimized', budget: 'low' }));
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ provider: 'udio', routing: { model: 'udio-v1', fallbackUsed: false, costUsd: 0 } });
    expect(generations(suno)).toBe(before);
  });

  test('Suno failing: Udio makes the song, both attempts are in the answer and the ledger', async () => {
    sunoFails = true;
    const res = await execute(song({ provider: 'auto', strategy: 'quality-optimized' }));
    expect(res.status).toBe(200);
    const { routing } = res.body.result;
    expect(res.body.result.provider).toBe('udio');
    expect(routing).toMatchObject({ model: 'udio-v1', fallbackUsed: true, reason: expect.stringMatching(/fallback: suno-v3 failed/) });
    expect(routing.attempts).toEqual([
      expect.objectContaining({ model: 'suno-v3', outcome: 'server', message: expect.stringMatching(/overloaded/) }),
      expect.objectContaining({ model: 'udio-v1', outcome: 'ok' }),
    ]);
    const rows = await ledgerOf(routing.requestId);
    expect(rows.map((r) => [r.model_key, r.outcome, r.cost_usd])).toEqual([
      ['suno-v3', 'server', 0],
      ['udio-v1', 'ok', 0],
    ]);
  });

  test('Suno rate limiting: Udio serves at once, and the attempt says when Suno takes requests again', async () => {
    sunoLimited = true;
    const res = await execute(song({ provider: 'auto', strategy: 'quality-optimized' }));
    expect(res.status).toBe(200);
    expect(res.body.result.routing.attempts).toEqual([
      expect.objectContaining({ model: 'suno-v3', outcome: 'rate_limited', status: 429, retryAfterMs: 30_000 }),
      expect.objectContaining({ model: 'udio-v1', outcome: 'ok' }),
    ]);
    // Straight to Suno, the DAWG's Retry-After reaches the client too.
    const direct = await execute(song({ provider: 'suno' }));
    expect(direct.status).toBe(503);
    expect(direct.body.error.code).toBe('PROVIDER_RATE_LIMITED');
    expect(direct.headers['retry-after']).toBe('30');
  });

  test('after repeated Suno failures its circuit opens and auto goes to Udio without calling Suno', async () => {
    sunoFails = true;
    // The previous test's failure plus these: the circuit needs 3 calls, half of them failed.
    for (let i = 0; i < 3 && plane.ai.breakers.state('suno').state !== 'open'; i++) {
      expect((await execute(song({ provider: 'auto', strategy: 'quality-optimized' }))).status).toBe(200);
    }
    expect(plane.ai.breakers.state('suno').state).toBe('open');
    sunoFails = false;
    const before = generations(suno);
    const res = await execute(song({ provider: 'auto', strategy: 'quality-optimized' }));
    expect(res.status).toBe(200);
    expect(res.body.result.routing).toMatchObject({ model: 'udio-v1', fallbackUsed: false, attempts: [expect.objectContaining({ model: 'udio-v1', outcome: 'ok' })] });
    expect(generations(suno)).toBe(before);
    // The router's own dry run says why.
    const route = await request(plane.app).post('/api/v1/ai/route').set('X-API-Key', plane.userKey).send({ taskType: 'music', strategy: 'quality-optimized' });
    expect(route.body.rejected).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'suno-v3', code: 'CIRCUIT_OPEN' })]));
  });

  test('invalid params are named before anything is routed, booked or called', async () => {
    const [ledgerBefore, sunoBefore, udioBefore] = [await ledgerCount(), generations(suno), generations(udio)];
    const bad = await execute(song({ provider: 'auto', bpm: 1_000, strategy: 'cheapest' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((i: { field: string }) => i.field).sort()).toEqual(['body.params.bpm', 'body.params.strategy']);
    // Routing fields without auto: the AI DAWG names them.
    const misplaced = await execute(song({ provider: 'udio', strategy: 'quality-optimized' }));
    expect(misplaced.status).toBe(400);
    expect(misplaced.body.error.details.issues).toEqual([expect.objectContaining({ field: 'params.strategy', message: expect.stringMatching(/only applies with provider auto/) })]);
    expect([await ledgerCount(), generations(suno), generations(udio)]).toEqual([ledgerBefore, sunoBefore, udioBefore]);
  });
});

test('the AI DAWG itself refuses auto, naming params.provider (only the control plane can route)', async () => {
  const res = await request(dawg.app).post('/api/v1/execute').set('Authorization', `Bearer ${SERVICE_TOKEN}`).send(song({ provider: 'auto' }));
  expect(res.status).toBe(400);
  expect(res.body.error.details.issues).toEqual([expect.objectContaining({ field: 'params.provider' })]);
});

test('an agent task with provider auto is routed and booked to the agent and its task', async () => {
  const created = await request(plane.app)
    .post('/api/v1/agents/CreativeDirector/tasks')
    .set('X-API-Key', plane.userKey)
    .send({ taskType: 'generate-audio', payload: { prompt: 'lofi rain', provider: 'auto', budget: 'low' } });
  expect(created.status).toBe(202);
  const task = await waitForTask(plane.agents!, created.body.taskId, 'completed', 30_000);
  const result = task.result as { provider: string; routing: { model: string; requestId: string } };
  expect(result.provider).toBe('udio');
  expect(await ledgerOf(result.routing.requestId)).toEqual([expect.objectContaining({ model_key: 'udio-v1', outcome: 'ok', caller_agent: 'CreativeDirector', caller_task_id: created.body.taskId })]);
});

describe('other planes', () => {
  test('with no music service configured, auto is the offline composer', async () => {
    const offline = await startTestPlane({ env: { AI_DAWG_BACKEND_URL: dawg.url } });
    try {
      const res = await request(offline.app).post('/api/v1/execute').set('X-API-Key', offline.userKey).send(song({ provider: 'auto', duration: 10 }));
      expect(res.status).toBe(200);
      expect(res.body.result).toMatchObject({ provider: 'local', routing: { model: 'local-composer', provider: 'procedural', fallbackUsed: false } });
      expect(res.body.result.concept.parts.length).toBeGreaterThan(0);
    } finally {
      await offline.stop();
    }
  });

  test('an unreachable AI DAWG is a 503 of its own, not a Suno failure: no fallback, the circuit untouched', async () => {
    const cut = await startTestPlane({ env: { AI_DAWG_BACKEND_URL: 'http://127.0.0.1:9', SUNO_API_KEY: 'k', UDIO_API_KEY: 'k' } });
    try {
      const res = await request(cut.app).post('/api/v1/execute').set('X-API-Key', cut.userKey).send(song({ provider: 'auto', strategy: 'quality-optimized' }));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('DAWG_UNAVAILABLE');
      expect(cut.ai.breakers.state('suno').state).toBe('closed');
      const rows = await cut.testDb.db.query<{ model_key: string; outcome: string }>('SELECT model_key, outcome FROM ai_ledger');
      expect(rows).toEqual([{ model_key: 'suno-v3', outcome: 'dawg_unavailable' }]);
    } finally {
      await cut.stop();
    }
  });
});

test('without the AI router in the process, auto is a 501 naming the field; other calls go through', async () => {
  const seen: unknown[] = [];
  const modules = { execute: async (r: { module: string; action: string; params?: unknown }) => (seen.push(r), { module: r.module, action: r.action, result: { ok: true }, durationMs: 1 }) };
  const dispatcher = new ModuleDispatcher(modules, undefined);
  await expect(dispatcher.execute(song({ provider: 'auto' }), {}, {})).rejects.toMatchObject({ status: 501, code: 'NOT_IMPLEMENTED', details: { field: 'params.provider' } });
  expect(seen).toEqual([]);
  await expect(dispatcher.execute(song({ provider: 'local' }), {}, {})).resolves.toMatchObject({ result: { ok: true } });
  expect(seen).toEqual([song({ provider: 'local' })]);
});
