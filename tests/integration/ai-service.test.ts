import { createAiRouter, parseShares, utcMonth, type AiRouterParts, type BudgetAlert } from '../../src/control-plane/ai-router';
import type { AiRouterConfig } from '../../src/control-plane/config';
import { ProviderError, type ChatProvider, type ChatRequest, type ChatResult, type ChatStreamEvent, type ProviderName } from '../../src/control-plane/providers/provider-types';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

type Step = { ok: string; inputTokens?: number; outputTokens?: number } | { fail: ProviderError } | { hang: true };

/** A provider whose answers are scripted per call; records the requests it got. */
class ScriptedProvider implements ChatProvider {
  readonly requests: ChatRequest[] = [];
  constructor(
    readonly name: ProviderName,
    private readonly steps: Step[],
    private readonly fallbackStep: Step = { ok: 'default' },
  ) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    this.requests.push(request);
    const step = this.steps.shift() ?? this.fallbackStep;
    if ('fail' in step) throw step.fail;
    if ('hang' in step) return new Promise(() => undefined);
    const usage = step.inputTokens === undefined ? { inputTokens: 10, outputTokens: 5, estimated: true } : { inputTokens: step.inputTokens, outputTokens: step.outputTokens ?? 0, estimated: false };
    return { provider: this.name, model: request.model, content: step.ok, finishReason: 'stop', usage };
  }

  async *chatStream(request: ChatRequest): AsyncIterable<ChatStreamEvent> {
    const result = await this.chat(request);
    for (const word of result.content.split(' ')) yield { type: 'delta', text: word };
    yield { type: 'done', result };
  }
}

const err = (provider: ProviderName, kind: ProviderError['kind'], status?: number, retryAfterMs?: number) => new ProviderError(provider, kind, `${provider} ${kind}`, { status, retryAfterMs });

const baseConfig: AiRouterConfig = {
  strategy: 'quality-optimized',
  monthlyBudgetUsd: 100,
  shares: parseShares('gemini-pro=70,gpt-4o-mini=20,claude-sonnet-4.5=10'),
  timeoutMs: 5_000,
  maxRetries: 2,
  retryBaseMs: 1,
  retryMaxMs: 5,
  maxRetryAfterMs: 200,
  maxCandidates: 3,
  breakerCooldownMs: 60_000,
};
const user = [{ role: 'user' as const, content: 'Plan the release of Neon Dreams' }];

describe.each(DB_KINDS)('AI service on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
    await t.db.query(`INSERT INTO api_keys (id, name, scopes, secret_hash) VALUES ('key1', 'k', '{integration}', '\\x00'), ('key2', 'k2', '{integration}', '\\x00')`);
  });
  afterAll(() => t.drop());
  beforeEach(() => t.db.exec('TRUNCATE ai_ledger, ai_spend, ai_key_budgets'));

  function build(providers: ChatProvider[], config: Partial<AiRouterConfig> = {}, clock?: () => Date): AiRouterParts {
    return createAiRouter({
      config: { ...baseConfig, ...config },
      db: t.db,
      logger: silentLogger(),
      chatProviders: new Map(providers.map((p) => [p.name, p])),
      musicProviders: new Set(),
      clock,
      random: () => 0.5,
    });
  }
  const ledger = () => t.db.query<{ model_key: string; outcome: string; attempt: number; cost_usd: string; input_tokens: number; tokens_estimated: boolean; caller_key_id: string | null }>('SELECT * FROM ai_ledger ORDER BY id');

  test('latency averages come from the ledger: another instance, and one started later, rank by the calls made', async () => {
    const providers = () => [new ScriptedProvider('google', []), new ScriptedProvider('mistral', [])];
    const a = build(providers());
    const b = build(providers());
    // a's calls as the ledger books them: gemini-pro answered in 50–70 ms, mistral-small in 5 s; a failure's time does not count.
    const scopes = await a.budgets.scopesFor({});
    const book = async (modelKey: string, provider: string, latencyMs: number, outcome = 'ok') => {
      const info = { requestId: crypto.randomUUID(), attempt: 1, month: a.budgets.month(), provider, modelKey, model: modelKey, caller: {} };
      await a.ledger.settle(info, scopes, { entryId: null, estimateUsd: 0 }, { outcome, inputTokens: 1, outputTokens: 1, tokensEstimated: false, costUsd: 0, latencyMs });
    };
    for (const ms of [50, 70, 60]) await book('gemini-pro', 'google', ms);
    await book('gemini-pro', 'google', 30_000, 'timeout');
    for (const ms of [5_000, 5_000]) await book('mistral-small', 'mistral', ms);
    const fastest = async (parts: AiRouterParts) => (await parts.service.route({ taskType: 'fast', strategy: 'speed-optimized' }, {})).chosen?.model;
    // The catalog's priors: mistral-small 400 ms, gemini-pro 800 ms.
    expect(await fastest(b)).toBe('mistral-small');
    await b.latency.refresh();
    expect(b.service.router.latency.latencyMs('gemini-pro')).toBeCloseTo(50 + 0.2 * (70 - 50) + 0.2 * (60 - (50 + 0.2 * 20)), 6);
    expect(b.service.router.latency.samples('gemini-pro')).toBe(3);
    expect(b.service.router.latency.latencyMs('mistral-small')).toBe(5_000);
    expect(await fastest(b)).toBe('gemini-pro');
    const later = build(providers());
    await later.latency.start();
    await later.latency.stop();
    expect(await fastest(later)).toBe('gemini-pro');
  });

  test('a successful call is booked with the provider usage and catalog price', async () => {
    const anthropic = new ScriptedProvider('anthropic', [{ ok: 'a plan', inputTokens: 2_000, outputTokens: 500 }]);
    const { service } = build([anthropic]);
    const answer = await service.chat({ taskType: 'reasoning', messages: user, maxOutputTokens: 800 }, { keyId: 'key1', agent: 'CreativeDirector', taskId: 'tsk_1' });
    expect(answer).toMatchObject({ content: 'a plan', model: 'claude-sonnet-4.5', provider: 'anthropic', offline: false, fallbackUsed: false, usage: { inputTokens: 2_000, outputTokens: 500, estimated: false } });
    expect(answer.costUsd).toBeCloseTo(0.006 + 0.0075, 10);
    expect(anthropic.requests[0]).toMatchObject({ model: 'claude-sonnet-4-5-20250929', maxOutputTokens: 800, timeoutMs: 5_000 });
    const rows = await ledger();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model_key: 'claude-sonnet-4.5', outcome: 'ok', input_tokens: 2_000, tokens_estimated: false, caller_key_id: 'key1' });
    expect(Number(rows[0]!.cost_usd)).toBeCloseTo(0.0135, 10);
    const [spend] = await t.db.query<{ spent_usd: string; reserved_usd: string }>(`SELECT * FROM ai_spend WHERE scope = 'global'`);
    expect(Number(spend!.spent_usd)).toBeCloseTo(0.0135, 10);
    expect(Number(spend!.reserved_usd)).toBe(0);
  });

  test('usage missing from the provider is estimated and flagged', async () => {
    const { service } = build([new ScriptedProvider('openai', [{ ok: 'hi' }])]);
    const answer = await service.chat({ taskType: 'generation', messages: user }, {});
    expect(answer.usage.estimated).toBe(true);
    expect((await ledger())[0]).toMatchObject({ tokens_estimated: true });
  });

  test('retries a 429 after its Retry-After, then succeeds on the same model', async () => {
    const anthropic = new ScriptedProvider('anthropic', [{ fail: err('anthropic', 'rate_limited', 429, 50) }, { ok: 'second try', inputTokens: 1, outputTokens: 1 }]);
    const { service } = build([anthropic]);
    const started = Date.now();
    const answer = await service.chat({ taskType: 'reasoning', messages: user }, {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(answer.attempts.map((a) => [a.model, a.outcome])).toEqual([['claude-sonnet-4.5', 'rate_limited'], ['claude-sonnet-4.5', 'ok']]);
    expect((await ledger()).map((r) => r.outcome)).toEqual(['rate_limited', 'ok']);
  });

  test('falls back down the ranking on 5xx/timeout and says so; a long Retry-After skips straight to the next', async () => {
    const anthropic = new ScriptedProvider('anthropic', [], { fail: err('anthropic', 'server', 529) });
    const mistral = new ScriptedProvider('mistral', [{ fail: err('mistral', 'rate_limited', 429, 60_000) }]);
    const google = new ScriptedProvider('google', [{ fail: err('google', 'timeout') }, { ok: 'from gemini', inputTokens: 3, outputTokens: 4 }]);
    const { service } = build([anthropic, mistral, google]);
    const answer = await service.chat({ taskType: 'reasoning', messages: user }, {});
    expect(answer).toMatchObject({ model: 'gemini-pro', fallbackUsed: true, content: 'from gemini' });
    expect(answer.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
      'claude-sonnet-4.5:server',
      'claude-sonnet-4.5:server',
      'claude-sonnet-4.5:server',
      'mistral-large:rate_limited',
      'gemini-pro:timeout',
      'gemini-pro:ok',
    ]);
  });

  test('every candidate failing is a 503 naming each attempt; a bad request is not retried', async () => {
    const openai = new ScriptedProvider('openai', [], { fail: err('openai', 'bad_request', 400) });
    const { service } = build([openai], { maxCandidates: 1 });
    await expect(service.chat({ taskType: 'generation', messages: user }, {})).rejects.toMatchObject({ status: 503, code: 'AI_PROVIDERS_FAILED', details: { attempts: [{ model: 'gpt-4o-mini', outcome: 'bad_request', status: 400 }] } });
    expect(openai.requests).toHaveLength(1);
  });

  test('circuit: opens after repeated failures, filters the provider, half-opens after the cooldown and closes on success', async () => {
    const openai = new ScriptedProvider('openai', [], { fail: err('openai', 'server', 500) });
    const parts = build([openai], { maxRetries: 0, maxCandidates: 1, breakerCooldownMs: 150 });
    for (let i = 0; i < 3; i++) await expect(parts.service.chat({ taskType: 'generation', messages: user }, {})).rejects.toMatchObject({ code: 'AI_PROVIDERS_FAILED' });
    expect(parts.breakers.state('openai').state).toBe('open');
    const blocked = await parts.service.route({ taskType: 'generation', promptTokens: 10 }, {});
    expect(blocked.chosen?.model).not.toBe('gpt-4o-mini');
    expect(blocked.rejected.find((r) => r.model === 'gpt-4o-mini')).toMatchObject({ code: 'CIRCUIT_OPEN' });
    await expect(parts.service.chat({ taskType: 'generation', messages: user, model: 'gpt-4o-mini' }, {})).rejects.toMatchObject({ status: 503 });
    expect(openai.requests).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(parts.breakers.state('openai').state).toBe('half-open');
    (openai as unknown as { fallbackStep: Step }).fallbackStep = { ok: 'recovered', inputTokens: 1, outputTokens: 1 };
    await expect(parts.service.chat({ taskType: 'generation', messages: user }, {})).resolves.toMatchObject({ content: 'recovered' });
    expect(parts.breakers.state('openai').state).toBe('closed');
    parts.breakers.shutdown();
  });

  test('budget: soft alert once at 80 %, hard at 100 %, then only zero-cost models, else 402', async () => {
    const alerts: BudgetAlert[] = [];
    // Each call: 100k in × $0.15/M + 50k out × $0.60/M = $0.045 against a $0.10 budget.
    const openai = new ScriptedProvider('openai', [], { ok: 'ok', inputTokens: 100_000, outputTokens: 50_000 });
    const parts = build([openai], { monthlyBudgetUsd: 0.1, strategy: 'cost-optimized' });
    parts.budgets.on('budget.alert', (a) => alerts.push(a));
    const call = () => parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 100 }, {});
    await call(); // 0.045
    expect(alerts).toEqual([]);
    await call(); // 0.09 → soft
    expect(alerts.map((a) => a.level)).toEqual(['soft']);
    await call(); // 0.135 → hard
    expect(alerts.map((a) => a.level)).toEqual(['soft', 'hard']);
    expect(alerts[1]).toMatchObject({ scope: 'global', limitUsd: 0.1 });
    await expect(call()).rejects.toMatchObject({ status: 402, code: 'AI_BUDGET_EXHAUSTED' });
    const withFree = build([openai, new ScriptedProvider('google', [], { ok: 'free', inputTokens: 1, outputTokens: 1 })], { monthlyBudgetUsd: 0.1 });
    await expect(withFree.service.chat({ taskType: 'generation', messages: user, strategy: 'quality-optimized' }, {})).resolves.toMatchObject({ model: 'gemini-pro', costUsd: 0 });
    expect(alerts).toHaveLength(2);
  });

  test('per-key budget: reservations stop concurrent calls from overspending it together', async () => {
    const openai = new ScriptedProvider('openai', [], { ok: 'ok', inputTokens: 10, outputTokens: 10 });
    const parts = build([openai], { strategy: 'cost-optimized' });
    await parts.budgets.setKeyLimit('key1', 0.01);
    // Upper bound per call: prompt ≈ 20 tokens + 10,000 output × $0.60/M ≈ $0.006: only one fits in $0.01 at a time.
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 10_000 }, { keyId: 'key1' })));
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(fulfilled.length).toBeGreaterThanOrEqual(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    // Refused either when routing (the budget left was already too small) or at reservation (a concurrent call took it).
    for (const r of refused) {
      const details = (r.reason as { status: number; details: { attempts?: Array<{ outcome: string }>; rejected?: Array<{ code: string }> } }).details;
      expect((r.reason as { status: number }).status).toBe(503);
      expect([...(details.attempts ?? []).map((a) => a.outcome), ...(details.rejected ?? []).map((x) => x.code)]).toEqual(expect.arrayContaining([expect.stringMatching(/^(budget|BUDGET)$/)]));
    }
    const status = await parts.budgets.status(await parts.budgets.scopesFor({ keyId: 'key1' }));
    const key = status.find((s) => s.scope === 'key:key1')!;
    expect(key).toMatchObject({ limitUsd: 0.01, reservedUsd: 0 });
    expect(key.spentUsd).toBeLessThanOrEqual(0.01);
    // Another key is not limited by key1's budget.
    await expect(parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 10_000 }, { keyId: 'key2' })).resolves.toMatchObject({ model: 'gpt-4o-mini' });
    await expect(parts.budgets.setKeyLimit('nope', 1)).rejects.toMatchObject({ status: 404 });
  });

  test('months reset in UTC', async () => {
    let now = new Date('2026-11-30T23:59:00Z');
    const openai = new ScriptedProvider('openai', [], { ok: 'ok', inputTokens: 100_000, outputTokens: 100_000 });
    const parts = build([openai], { monthlyBudgetUsd: 0.05, strategy: 'cost-optimized' }, () => now);
    await parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 10 }, {}); // $0.075 ≥ $0.05
    await expect(parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 10 }, {})).rejects.toMatchObject({ status: 402 });
    now = new Date('2026-12-01T00:00:30Z');
    expect(utcMonth(now)).toBe('2026-12-01');
    await expect(parts.service.chat({ taskType: 'generation', messages: user, maxOutputTokens: 10 }, {})).resolves.toMatchObject({ model: 'gpt-4o-mini' });
  });

  test('costs report groups the ledger by model and caller', async () => {
    const { service, ledger: costLedger } = build([new ScriptedProvider('openai', [], { ok: 'ok', inputTokens: 1_000_000, outputTokens: 0 }), new ScriptedProvider('google', [], { ok: 'ok', inputTokens: 5, outputTokens: 5 })]);
    await service.chat({ taskType: 'generation', messages: user, model: 'gpt-4o-mini', maxOutputTokens: 10 }, { keyId: 'key1' });
    await service.chat({ taskType: 'generation', messages: user, model: 'gemini-pro' }, { agent: 'DataScientist' });
    const window = [new Date(Date.now() - 60_000), new Date(Date.now() + 60_000)] as const;
    const byModel = await costLedger.report('model', ...window);
    expect(byModel.map((r) => [r.key, r.calls, +r.costUsd.toFixed(6)])).toEqual([['gemini-pro', 1, 0], ['gpt-4o-mini', 1, 0.15]]);
    const byCaller = await costLedger.report('caller', ...window);
    expect(byCaller.map((r) => r.key)).toEqual(['agent:DataScientist', 'key:key1']);
  });

  test('streams deltas then the answer; falls back before the first delta', async () => {
    const openai = new ScriptedProvider('openai', [{ fail: err('openai', 'server', 503) }], { fail: err('openai', 'server', 503) });
    const google = new ScriptedProvider('google', [{ ok: 'neon dreams tonight', inputTokens: 2, outputTokens: 3 }]);
    const { service } = build([openai, google], { strategy: 'cost-optimized', maxRetries: 0 });
    const items = [];
    for await (const item of service.chatStream({ taskType: 'generation', messages: user, model: 'gpt-4o-mini' }, {})) items.push(item);
    expect(items.map((i) => i.type)).toEqual(['route', 'delta', 'delta', 'delta', 'done']);
    expect(items[0]).toMatchObject({ model: 'gemini-pro' });
    expect(items.at(-1)).toMatchObject({ answer: { content: 'neon dreams tonight', fallbackUsed: true } });
  });

  test('offline default when no provider is configured, labelled as such', async () => {
    const offline = new ScriptedProvider('offline', [], { ok: '[offline] plan' });
    const { service } = build([offline]);
    await expect(service.chat({ taskType: 'reasoning', messages: user }, {})).resolves.toMatchObject({ model: 'offline', offline: true, costUsd: 0 });
    await expect(service.chat({ taskType: 'music', messages: user }, {})).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'taskType' }] } });
    await expect(service.route({ taskType: 'reasoning', promptTokens: 1, model: 'nope' }, {})).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'model' }] } });
  });
});
