import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadControlPlaneConfig } from '../../src/control-plane/config';
import {
  buildCatalog,
  costOf,
  parseShares,
  SmartRouter,
  WeightedRoundRobin,
  type BudgetView,
  type CatalogProvider,
  type RoutingState,
  type Strategy,
  type TaskType,
} from '../../src/control-plane/ai-router';

const catalog = buildCatalog();
const SHARES = parseShares('gemini-pro=70,gpt-4o-mini=20,claude-sonnet-4.5=10,suno-v3=50,udio-v1=50');
const ALL_TEXT: CatalogProvider[] = ['google', 'openai', 'anthropic', 'mistral'];

function state(configured: CatalogProvider[] = ALL_TEXT, overrides: Partial<RoutingState> & { budget?: BudgetView } = {}): RoutingState {
  return {
    isConfigured: (p) => configured.includes(p),
    breaker: () => ({ state: 'closed' }),
    budget: { remainingUsd: 100, exhausted: false, scope: 'global' },
    ...overrides,
  };
}

const router = (strategy: Strategy = 'balanced') => new SmartRouter({ catalog, defaultStrategy: strategy, shares: SHARES });
const user = (text: string) => [{ role: 'user' as const, content: text }];

describe('strategies over a matrix of contexts', () => {
  const cases: Array<[Strategy, TaskType, CatalogProvider[], string]> = [
    // gemini-pro is free: the cheapest whenever Google is configured.
    ['cost-optimized', 'generation', ALL_TEXT, 'gemini-pro'],
    ['cost-optimized', 'code', ['openai', 'anthropic', 'mistral'], 'gpt-4o-mini'],
    ['cost-optimized', 'reasoning', ['anthropic', 'mistral'], 'mistral-small'],
    // Fastest by catalog prior (no calls measured yet): mistral-small 400 ms.
    ['speed-optimized', 'fast', ALL_TEXT, 'mistral-small'],
    ['speed-optimized', 'generation', ['openai', 'anthropic'], 'gpt-4o-mini'],
    ['quality-optimized', 'reasoning', ALL_TEXT, 'claude-sonnet-4.5'],
    ['quality-optimized', 'code', ['google', 'openai', 'mistral'], 'mistral-large'],
    ['quality-optimized', 'music', ['suno', 'udio'], 'suno-v3'],
    ['speed-optimized', 'music', ['suno', 'udio'], 'udio-v1'],
    ['cost-optimized', 'music', [], 'local-composer'],
  ];
  test.each(cases)('%s / %s with %j configured → %s', (strategy, taskType, configured, expected) => {
    const decision = router().decide({ taskType, strategy, messages: user('Write a haiku about rain') }, state(configured));
    expect(decision.chosen?.model).toBe(expected);
    expect(decision.strategy).toBe(strategy);
  });

  test('nothing configured: text goes to the offline model, labelled as the only eligible one', () => {
    const decision = router('quality-optimized').decide({ taskType: 'reasoning', messages: user('plan a release') }, state([]));
    expect(decision.chosen).toMatchObject({ model: 'offline', provider: 'offline' });
    expect(decision.reason).toContain('only eligible model');
    expect(decision.rejected.find((r) => r.model === 'gpt-4o-mini')).toMatchObject({ code: 'NOT_CONFIGURED' });
  });

  test('a configured system never defaults to the offline model, and says why', () => {
    const decision = router().decide({ taskType: 'generation', messages: user('hi') }, state(['openai']));
    expect(decision.chosen?.model).toBe('gpt-4o-mini');
    expect(decision.rejected.find((r) => r.model === 'offline')).toMatchObject({ code: 'OFFLINE_NOT_DEFAULT' });
    const pinned = router().decide({ taskType: 'generation', messages: user('hi'), model: 'offline' }, state(['openai']));
    expect(pinned.chosen).toMatchObject({ model: 'offline', reason: 'requested explicitly (model)' });
  });

  test('a requested model that cannot serve is named with its reason; without fallback nothing is chosen', () => {
    const exhausted = { remainingUsd: 0, exhausted: true, scope: 'global' };
    const withFallback = router().decide({ taskType: 'reasoning', promptTokens: 10, model: 'claude-sonnet-4.5' }, state(ALL_TEXT, { budget: exhausted }));
    expect(withFallback.chosen?.model).toBe('gemini-pro');
    expect(withFallback.reason).toMatch(/^the requested model claude-sonnet-4.5 cannot serve this request \(the global monthly budget is used up/);
    const strict = router().decide({ taskType: 'reasoning', promptTokens: 10, model: 'claude-sonnet-4.5', fallback: false }, state(ALL_TEXT, { budget: exhausted }));
    expect(strict.chosen).toBeNull();
    expect(strict.alternatives).toEqual([]);
  });

  test('a text request never lands on a music model and vice versa', () => {
    const text = router('quality-optimized').decide({ taskType: 'creative', messages: user('lyrics') }, state([...ALL_TEXT, 'suno', 'udio']));
    expect([text.chosen, ...text.alternatives].every((m) => m && catalog.get(m.model)!.capabilityClass === 'text')).toBe(true);
    const music = router('quality-optimized').decide({ taskType: 'music', messages: user('synthwave') }, state([...ALL_TEXT, 'suno', 'udio']));
    expect([music.chosen, ...music.alternatives].map((m) => m!.model).sort()).toEqual(['suno-v3', 'udio-v1']);
  });
});

describe('explanations', () => {
  test('alternatives are ranked with the reason each lost, rejected models say why', () => {
    const decision = router('cost-optimized').decide({ taskType: 'generation', messages: user('x'.repeat(3_000)), maxOutputTokens: 500 }, state());
    expect(decision.chosen?.model).toBe('gemini-pro');
    expect(decision.alternatives.map((a) => a.model)).toEqual(['gpt-4o-mini', 'mistral-small', 'mistral-large', 'claude-sonnet-4.5']);
    expect(decision.alternatives.map((a) => a.rank)).toEqual([2, 3, 4, 5]);
    const gpt = decision.alternatives[0]!;
    expect(gpt.reason).toMatch(/^costs up to \$0\.000\d+ vs \$0\.000000$/);
    expect(gpt.estimatedCostUsd).toBeCloseTo(costOf(catalog.get('gpt-4o-mini')!, decision.promptTokens, 500), 12);
    expect(decision.rejected.find((r) => r.model === 'suno-v3')).toBeUndefined(); // other class: not a candidate at all
  });

  test('context and output limits filter with figures', () => {
    // 40,000 tokens: over mistral-small's 32k context only; gemini-pro (800 ms) is next fastest.
    const decision = router('speed-optimized').decide({ taskType: 'generation', promptTokens: 40_000 }, state());
    expect(decision.chosen?.model).toBe('gemini-pro');
    expect(decision.rejected.find((r) => r.model === 'mistral-small')).toMatchObject({ code: 'CONTEXT_TOO_SMALL', reason: expect.stringContaining('32000') });
    const long = router('speed-optimized').decide({ taskType: 'generation', promptTokens: 10, maxOutputTokens: 20_000 }, state());
    expect(long.chosen?.model).toBe('claude-sonnet-4.5');
    expect(long.rejected.find((r) => r.model === 'gpt-4o-mini')).toMatchObject({ code: 'OUTPUT_TOO_SMALL' });
  });

  test('required capabilities filter by strengths', () => {
    const decision = router().decide({ taskType: 'music', requiredCapabilities: ['vocals'], promptTokens: 20 }, state(['suno', 'udio']));
    expect(decision.chosen?.model).toBe('suno-v3');
    expect(decision.rejected.find((r) => r.model === 'udio-v1')).toMatchObject({ code: 'MISSING_CAPABILITY', reason: 'lacks required capabilities: vocals' });
  });

  test('an open circuit filters the provider and says when it will be probed', () => {
    const retryAt = Date.parse('2026-12-04T10:00:00Z');
    const decision = router('quality-optimized').decide(
      { taskType: 'reasoning', promptTokens: 100 },
      state(ALL_TEXT, { breaker: (p) => (p === 'anthropic' ? { state: 'open', retryAt } : { state: 'closed' }) }),
    );
    expect(decision.chosen?.model).toBe('mistral-large');
    expect(decision.rejected.find((r) => r.model === 'claude-sonnet-4.5')).toMatchObject({ code: 'CIRCUIT_OPEN', reason: expect.stringContaining('2026-12-04T10:00:00.000Z') });
  });

  test('measured latency replaces the prior in speed routing', () => {
    const r = router('speed-optimized');
    for (let i = 0; i < 20; i++) r.latency.observe('mistral-small', 3_000);
    expect(r.decide({ taskType: 'fast', promptTokens: 10 }, state()).chosen?.model).toBe('gemini-pro');
  });
});

describe('budget filtering', () => {
  test('exhausted: only zero-cost models; none left → no choice with the reason', () => {
    const exhausted = { remainingUsd: 0, exhausted: true, scope: 'global' };
    const withFree = router('quality-optimized').decide({ taskType: 'reasoning', promptTokens: 100 }, state(ALL_TEXT, { budget: exhausted }));
    expect(withFree.chosen?.model).toBe('gemini-pro');
    expect(withFree.rejected.filter((r) => r.code === 'BUDGET').map((r) => r.model).sort()).toEqual(['claude-sonnet-4.5', 'gpt-4o-mini', 'mistral-large', 'mistral-small']);
    const none = router().decide({ taskType: 'reasoning', promptTokens: 100 }, state(['openai', 'anthropic'], { budget: exhausted }));
    expect(none.chosen).toBeNull();
    expect(none.reason).toContain('budget is used up');
  });

  test('a model whose upper-bound cost exceeds what is left is skipped', () => {
    const tight = { remainingUsd: 0.001, exhausted: false, scope: 'key:abc' };
    // claude: 1000 prompt tokens × $3/M + 1024 output × $15/M ≈ $0.0184 > $0.001.
    const decision = router('quality-optimized').decide({ taskType: 'reasoning', promptTokens: 1_000 }, state(['anthropic', 'openai'], { budget: tight }));
    expect(decision.chosen?.model).toBe('gpt-4o-mini');
    expect(decision.rejected.find((r) => r.model === 'claude-sonnet-4.5')?.reason).toContain('key:abc');
  });

  test('the per-call budget hint caps cost', () => {
    const decision = router('quality-optimized').decide({ taskType: 'reasoning', promptTokens: 1_000, budget: 'low' }, state(['anthropic', 'openai', 'google']));
    expect(decision.chosen?.model).toBe('gemini-pro');
  });
});

describe('balanced shares', () => {
  test('converge exactly to 70/20/10 and interleave', () => {
    const r = router('balanced');
    const counts = new Map<string, number>();
    const sequence: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const model = r.decide({ taskType: 'generation', promptTokens: 10 }, state()).chosen!.model;
      counts.set(model, (counts.get(model) ?? 0) + 1);
      if (i < 10) sequence.push(model);
    }
    expect(Object.fromEntries(counts)).toEqual({ 'gemini-pro': 700, 'gpt-4o-mini': 200, 'claude-sonnet-4.5': 100 });
    expect(sequence.filter((m) => m === 'gemini-pro')).toHaveLength(7);
    expect(sequence.slice(0, 3)).not.toEqual(['gemini-pro', 'gemini-pro', 'gemini-pro']);
  });

  test('renormalise over the eligible share models when one is unavailable', () => {
    const r = router('balanced');
    const counts = new Map<string, number>();
    for (let i = 0; i < 900; i++) {
      const model = r.decide({ taskType: 'generation', promptTokens: 10 }, state(['google', 'openai'])).chosen!.model;
      counts.set(model, (counts.get(model) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ 'gemini-pro': 700, 'gpt-4o-mini': 200 });
  });

  test('dry runs do not move the round-robin', () => {
    const r = router('balanced');
    const peek = () => r.decide({ taskType: 'generation', promptTokens: 10 }, state(), false).chosen!.model;
    expect([peek(), peek(), peek()]).toEqual(['gemini-pro', 'gemini-pro', 'gemini-pro']);
  });

  test('WeightedRoundRobin ignores models without a weight', () => {
    const rr = new WeightedRoundRobin(new Map([['a', 1]]));
    expect(rr.next(['b', 'c'])).toBeUndefined();
    expect(rr.next(['a', 'b'])).toBe('a');
  });

  test('parseShares refuses malformed input', () => {
    expect(() => parseShares('gemini-pro:70')).toThrow('is not key=weight');
  });
});

describe('catalog', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  test('a catalog file adds, replaces and removes models without code', () => {
    const custom = buildCatalog({
      file: file('ok.json', {
        'gpt-4.1': { provider: 'openai', model: 'gpt-4.1', taskTypes: ['code', 'reasoning'], costPer1MTokens: { input: 2, output: 8 }, contextTokens: 1_000_000, maxOutputTokens: 32_768, latencyMs: 1_500, quality: 88 },
        'suno-v3': { provider: 'suno', model: 'chirp-v3-5', capabilityClass: 'music', taskTypes: ['music'], costPer1MTokens: { input: 0, output: 0 }, costPerRequest: 0.05, contextTokens: 4_000, maxOutputTokens: 4_000, latencyMs: 45_000, quality: 85 },
        'mistral-small': null,
      }),
    });
    expect(custom.get('gpt-4.1')).toMatchObject({ key: 'gpt-4.1', capabilityClass: 'text', strengths: [] });
    expect(custom.get('suno-v3')!.costPerRequest).toBe(0.05);
    expect(custom.has('mistral-small')).toBe(false);
    const r = new SmartRouter({ catalog: custom, defaultStrategy: 'quality-optimized', shares: new Map() });
    expect(r.decide({ taskType: 'code', promptTokens: 10 }, state(['openai'])).chosen?.model).toBe('gpt-4.1');
  });

  test('a bad catalog file stops start-up naming the field', () => {
    expect(() => buildCatalog({ file: file('bad.json', { 'x-model': { provider: 'openai', model: 'x', costPer1MTokens: { input: -1, output: 0 }, contextTokens: 10, maxOutputTokens: 10, latencyMs: 1, quality: 1 } }) })).toThrow(
      /AI_ROUTER_CATALOG_FILE .*bad\.json is invalid:\n {2}- x-model\.costPer1MTokens\.input: /,
    );
    expect(() => buildCatalog({ file: file('syntax.json', '{not json') })).toThrow(/cannot read .*syntax\.json as JSON/);
    expect(() => buildCatalog({ file: path.join(dir, 'missing.json') })).toThrow(/cannot read/);
  });

  test('config: shares and LlamaIndex settings are validated with the variable named', () => {
    const env = { AI_DAWG_SERVICE_TOKEN: 'x'.repeat(32) };
    expect(() => loadControlPlaneConfig({ ...env, AI_ROUTER_BALANCED_SHARES: 'gemini-pro:70' })).toThrow(/AI_ROUTER_BALANCED_SHARES: must be model=weight pairs/);
    expect(() => loadControlPlaneConfig({ ...env, LLAMAINDEX_API_KEY: 'k' })).toThrow(/LLAMAINDEX_PIPELINE_ID: LlamaIndex needs both/);
    const config = loadControlPlaneConfig({ ...env, AI_ROUTER_BALANCED_SHARES: 'gpt-4o-mini=3,offline=1', LOCAL_LLM_URL: 'http://127.0.0.1:11434' });
    expect([...config.aiRouter.shares]).toEqual([['gpt-4o-mini', 3], ['offline', 1]]);
    expect(config.providers.local).toEqual({ baseUrl: 'http://127.0.0.1:11434', model: 'llama3.1', contextTokens: 8_192 });
  });

  test('cost arithmetic against the price table', () => {
    const claude = catalog.get('claude-sonnet-4.5')!;
    expect(costOf(claude, 1_000_000, 1_000_000)).toBeCloseTo(18, 10);
    expect(costOf(claude, 2_000, 500)).toBeCloseTo(0.006 + 0.0075, 12);
    expect(costOf(catalog.get('gpt-4o-mini')!, 10_000, 2_000)).toBeCloseTo(0.0015 + 0.0012, 12);
  });

  test('the blueprint models are all there with their prices', () => {
    for (const key of ['gemini-pro', 'gpt-4o-mini', 'claude-sonnet-4.5', 'mistral-large', 'mistral-small', 'suno-v3', 'udio-v1']) expect(catalog.has(key)).toBe(true);
    expect(catalog.get('mistral-large')!.costPer1MTokens).toEqual({ input: 2, output: 6 });
  });
});
