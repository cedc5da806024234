import request from 'supertest';
import { z } from 'zod';
import { BaseAgent, capability } from '../../src/control-plane/agents';
import { waitForTask } from '../helpers/agent-system';
import { FAKE_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-providers';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';

const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdef';
const GEMINI_KEY = 'gm-test-0123456789abcdef';
const messages = [{ role: 'user', content: 'Name three synthwave chord progressions' }];

describe('AI router over HTTP, providers behind fake servers speaking their wire formats', () => {
  let openai: FakeProvider;
  let anthropic: FakeProvider;
  let google: FakeProvider;
  let plane: TestPlane;
  const auth = (key = plane.userKey) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    [openai, anthropic, google] = await Promise.all([startFakeProvider('openai'), startFakeProvider('anthropic'), startFakeProvider('google')]);
    plane = await startTestPlane({
      kind: 'pglite',
      env: {
        OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.url,
        ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: anthropic.url,
        GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: google.url,
        AI_ROUTER_STRATEGY: 'quality-optimized',
        AI_ROUTER_RETRY_BASE_MS: '1', AI_ROUTER_RETRY_MAX_MS: '5', AI_ROUTER_MAX_RETRY_AFTER_MS: '1500',
        AI_ROUTER_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await plane.stop();
    await Promise.all([openai.close(), anthropic.close(), google.close()]);
  });
  beforeEach(() => {
    for (const fake of [openai, anthropic, google]) fake.setBehaviour({ type: 'ok' });
    // Each test starts with closed circuits (failures of one test would open them for the next).
    plane.ai.breakers.shutdown();
  });

  test('GET /api/v1/ai/models lists the catalog with what is configured', async () => {
    const res = await request(plane.app).get('/api/v1/ai/models').set(auth()).expect(200);
    const byKey = Object.fromEntries(res.body.models.map((m: { key: string }) => [m.key, m]));
    expect(res.body.defaultStrategy).toBe('quality-optimized');
    expect(byKey['claude-sonnet-4.5']).toMatchObject({ configured: true, circuit: 'closed', costPer1MTokens: { input: 3, output: 15 }, share: 10 });
    expect(byKey['mistral-large']).toMatchObject({ configured: false });
    expect(byKey['suno-v3']).toMatchObject({ configured: false, capabilityClass: 'music' });
  });

  test('POST /api/v1/ai/route explains the choice and every alternative', async () => {
    const res = await request(plane.app).post('/api/v1/ai/route').set(auth()).send({ taskType: 'reasoning', messages }).expect(200);
    expect(res.body.chosen).toMatchObject({ model: 'claude-sonnet-4.5', rank: 1 });
    expect(res.body.reason).toMatch(/^highest quality of 3 eligible models: 90$/);
    expect(res.body.alternatives.map((a: { model: string; reason: string }) => `${a.model}: ${a.reason}`)).toEqual(['gemini-pro: lower quality: 70 vs 90', 'gpt-4o-mini: lower quality: 65 vs 90']);
    expect(res.body.rejected).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'mistral-large', code: 'NOT_CONFIGURED' })]));
    expect(anthropic.requests).toHaveLength(0);
  });

  test('POST /api/v1/ai/chat calls Anthropic with its wire format and books the cost', async () => {
    anthropic.requests.length = 0;
    const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ taskType: 'reasoning', messages: [{ role: 'system', content: 'Be brief.' }, ...messages], maxOutputTokens: 300 }).expect(200);
    expect(res.body).toMatchObject({ model: 'claude-sonnet-4.5', provider: 'anthropic', offline: false, fallbackUsed: false, usage: { inputTokens: FAKE_USAGE.input, outputTokens: FAKE_USAGE.output, estimated: false } });
    expect(res.body.costUsd).toBeCloseTo((FAKE_USAGE.input * 3 + FAKE_USAGE.output * 15) / 1e6, 12);
    const sent = anthropic.requests[0]!;
    expect(sent.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-5-20250929', system: 'Be brief.', max_tokens: 300, messages: [{ role: 'user', content: messages[0]!.content }] });
    const costs = await request(plane.app).get('/api/v1/ai/costs?groupBy=model').set(auth(plane.adminKey)).expect(200);
    expect(costs.body.rows.find((r: { key: string }) => r.key === 'claude-sonnet-4.5')).toMatchObject({ calls: 1, failedCalls: 0, inputTokens: FAKE_USAGE.input });
  });

  test('falls back when Anthropic is overloaded (529) and retries a 429 after its Retry-After', async () => {
    anthropic.setBehaviour({ type: 'error', status: 529, message: 'Overloaded' });
    google.enqueue({ type: 'error', status: 429, headers: { 'retry-after': '1' } });
    const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ taskType: 'reasoning', messages }).expect(200);
    expect(res.body).toMatchObject({ model: 'gemini-pro', fallbackUsed: true });
    expect(res.body.attempts.map((a: { model: string; outcome: string }) => `${a.model}:${a.outcome}`)).toEqual([
      'claude-sonnet-4.5:server', 'claude-sonnet-4.5:server', 'claude-sonnet-4.5:server', 'gemini-pro:rate_limited', 'gemini-pro:ok',
    ]);
    expect(res.body.attempts[3]).toMatchObject({ status: 429, retryAfterMs: 1000 });
  });

  test('a provider rejecting our key is reported without the key', async () => {
    anthropic.setBehaviour({ type: 'error', status: 401, message: `invalid x-api-key ${ANTHROPIC_KEY}` });
    google.setBehaviour({ type: 'error', status: 401 });
    openai.setBehaviour({ type: 'error', status: 401 });
    const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ taskType: 'code', messages, strategy: 'cost-optimized' }).expect(503);
    expect(res.body.error.code).toBe('AI_PROVIDERS_FAILED');
    expect(JSON.stringify(res.body)).not.toContain(ANTHROPIC_KEY);
    expect(res.body.error.details.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['auth', 'auth', 'auth']);
  });

  test('stream: server-sent route, delta and done events from OpenAI', async () => {
    const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ messages, model: 'gpt-4o-mini', stream: true }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => done(null, text));
    }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = (res.body as string).trim().split('\n\n').map((block) => {
      const [event, data] = block.split('\n');
      return { event: event!.slice(7), data: JSON.parse(data!.slice(6)) };
    });
    expect(events[0]).toMatchObject({ event: 'route', data: { model: 'gpt-4o-mini' } });
    const text = events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.content).toBe(text);
    expect(text.length).toBeGreaterThan(0);
    expect(openai.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('stream: a provider error after text was sent ends the stream with an error event, without fallback', async () => {
    openai.setBehaviour({ type: 'stream-error', message: 'server had an error' });
    const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ messages, model: 'gpt-4o-mini', stream: true }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => done(null, text));
    }).expect(200);
    const events = (res.body as string).trim().split('\n\n').map((block) => block.split('\n')[0]!.slice(7));
    expect(events[0]).toBe('route');
    expect(events).toContain('delta');
    expect(events.at(-1)).toBe('error');
    expect(res.body).toContain('AI_STREAM_INTERRUPTED');
    // Nothing else was tried: the caller already has part of gpt-4o-mini's answer.
    expect(google.requests.filter((r) => r.path.includes('streamGenerateContent'))).toHaveLength(0);
    const health = await request(plane.app).get('/health').expect(200);
    expect(health.body).toBeTruthy();
  });

  test('bad input is a 400 naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{}, 'body.messages'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'body.messages.0.role'],
      [{ messages, strategy: 'random' }, 'body.strategy'],
      [{ messages, temperature: 7 }, 'body.temperature'],
      [{ messages, model: 'gpt-9' }, 'model'],
      [{ messages, extra: 1 }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const res = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send(body).expect(400);
      expect(res.body.error.details.issues.map((i: { field: string }) => i.field)).toContain(field);
    }
    const q = await request(plane.app).get('/api/v1/ai/costs?groupBy=week').set(auth(plane.adminKey)).expect(400);
    expect(q.body.error.details.issues[0].field).toBe('query.groupBy');
  });

  test('costs and key budgets are admin-only; budgets show per scope', async () => {
    await request(plane.app).get('/api/v1/ai/costs').set(auth()).expect(403);
    const keys = await plane.apiKeys.list();
    const userKeyId = keys.find((k) => k.name === 'test-user')!.id;
    await request(plane.app).post(`/api/v1/ai/budget/keys/${userKeyId}`).set(auth()).send({ monthlyUsd: 1 }).expect(403);
    const set = await request(plane.app).post(`/api/v1/ai/budget/keys/${userKeyId}`).set(auth(plane.adminKey)).send({ monthlyUsd: 0 }).expect(200);
    expect(set.body.scopes[0]).toMatchObject({ scope: `key:${userKeyId}`, limitUsd: 0, state: 'exhausted' });
    await request(plane.app).post('/api/v1/ai/budget/keys/unknown-key').set(auth(plane.adminKey)).send({ monthlyUsd: 1 }).expect(404);
    // A zero budget leaves only the free model.
    const free = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ messages, strategy: 'quality-optimized' }).expect(200);
    expect(free.body).toMatchObject({ model: 'gemini-pro', costUsd: 0 });
    const paid = await request(plane.app).post('/api/v1/ai/chat').set(auth()).send({ messages, model: 'claude-sonnet-4.5', fallback: false }).expect(402);
    expect(paid.body.error.code).toBe('AI_BUDGET_EXHAUSTED');
    const budget = await request(plane.app).get('/api/v1/ai/budget').set(auth()).expect(200);
    expect(budget.body.scopes.map((s: { scope: string; state: string }) => `${s.scope}:${s.state}`)).toEqual(['global:ok', `key:${userKeyId}:exhausted`]);
    await request(plane.app).post(`/api/v1/ai/budget/keys/${userKeyId}`).set(auth(plane.adminKey)).send({ monthlyUsd: null }).expect(200);
  });
});

/** An agent whose one capability asks the AI router, as the blueprint's agents do. */
const plannerAgent = new BaseAgent('Planner', 'Plans through the AI router', [
  capability({
    name: 'plan',
    description: 'asks the router for a plan',
    requiredModules: [],
    payload: z.strictObject({ goal: z.string() }),
    timeoutMs: 10_000,
    resumable: true,
    async run(p, ctx) {
      const answer = await ctx.ai({ taskType: 'reasoning', messages: [{ role: 'user', content: p.goal }] });
      return { plan: answer.content, model: answer.model };
    },
  }),
]);

describe('AI router with nothing configured', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane({ kind: 'pglite', runTasks: true, agents: [plannerAgent] });
  });
  afterAll(() => plane.stop());

  test('answers with the offline model, clearly labelled, at no cost', async () => {
    const res = await request(plane.app).post('/api/v1/ai/chat').set({ Authorization: `Bearer ${plane.userKey}` }).send({ taskType: 'reasoning', messages }).expect(200);
    expect(res.body).toMatchObject({ model: 'offline', provider: 'offline', offline: true, costUsd: 0 });
    expect(res.body.content.startsWith('[offline]')).toBe(true);
  });

  test('agents chat through the same service, booked under the agent and its task', async () => {
    const res = await request(plane.app).post('/api/v1/agents/Planner/tasks').set({ Authorization: `Bearer ${plane.userKey}` }).send({ taskType: 'plan', payload: { goal: 'Release Neon Dreams on Friday. Master it first. Then announce it.' } }).expect(202);
    const task = await waitForTask(plane.agents!, res.body.taskId, 'completed');
    expect(task).toMatchObject({ result: { model: 'offline', plan: expect.stringMatching(/^\[offline\]/) } });
    const rows = await plane.testDb.db.query<{ caller_agent: string; caller_task_id: string; outcome: string }>('SELECT caller_agent, caller_task_id, outcome FROM ai_ledger WHERE caller_agent IS NOT NULL');
    expect(rows).toEqual([{ caller_agent: 'Planner', caller_task_id: res.body.taskId, outcome: 'ok' }]);
  });
});
