/**
 * `npm run bench:router`: the AI router's own cost.
 *
 *   1. Routing decision time: SmartRouter.decide over the default catalog with every text
 *      provider configured, for each strategy (ns per decision, p50/p99 of batches).
 *   2. Added latency of POST /api/v1/ai/chat: the control plane (PGlite in memory, so every
 *      call also writes its ledger row) in front of a fake OpenAI server, against calling the
 *      same fake directly with the same body, sequentially, interleaved, over loopback HTTP.
 *      Client, control plane and fake share this process; requests are sequential so they do
 *      not contend for the event loop.
 *
 * Prints figures only (no target is set for these in the issue); exits 0.
 * Knobs: BENCH_ROUTER_CALLS (2000 HTTP calls per side), BENCH_ROUTER_DECISIONS (200000).
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { openPglite, migrate } from '../src/common/db';
import { createLogger } from '../src/common/logger';
import { MemoryKv } from '../src/common/kv';
import { buildCatalog, parseShares, SmartRouter, STRATEGIES, type RoutingState } from '../src/control-plane/ai-router';
import { composeControlPlane } from '../src/control-plane/compose';
import { loadControlPlaneConfig } from '../src/control-plane/config';
import { startFakeProvider } from '../tests/helpers/fake-providers';
import { percentile, request } from './support';

const intEnv = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

function benchDecisions(): void {
  const total = intEnv('BENCH_ROUTER_DECISIONS', 200_000);
  const router = new SmartRouter({ catalog: buildCatalog(), defaultStrategy: 'balanced', shares: parseShares('gemini-pro=70,gpt-4o-mini=20,claude-sonnet-4.5=10') });
  const state: RoutingState = {
    isConfigured: (p) => ['google', 'openai', 'anthropic', 'mistral'].includes(p),
    breaker: () => ({ state: 'closed' }),
    budget: { remainingUsd: 50, exhausted: false, scope: 'global' },
  };
  const messages = [{ role: 'user' as const, content: 'Summarise the release plan for Neon Dreams in five bullet points.' }];
  console.log(`\n1. Routing decision (SmartRouter.decide, ${buildCatalog().size} catalog models, 4 providers configured)`);
  for (const strategy of STRATEGIES) {
    const batch = 1_000;
    const perDecision = new Float64Array(Math.floor(total / batch));
    for (let w = 0; w < 5_000; w++) router.decide({ taskType: 'generation', strategy, messages }, state);
    for (let b = 0; b < perDecision.length; b++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) router.decide({ taskType: 'generation', strategy, messages }, state);
      perDecision[b] = Number(process.hrtime.bigint() - start) / batch;
    }
    perDecision.sort();
    console.log(`   ${strategy.padEnd(18)} p50 ${(percentile(perDecision, 50) / 1000).toFixed(2)} µs   p99 ${(percentile(perDecision, 99) / 1000).toFixed(2)} µs per decision`);
  }
}

async function benchChat(): Promise<void> {
  const calls = intEnv('BENCH_ROUTER_CALLS', 2_000);
  const fake = await startFakeProvider('openai');
  const db = await openPglite({ schema: 'public' });
  await migrate(db);
  const logger = createLogger({ level: 'error', service: 'bench', silent: true });
  const config = loadControlPlaneConfig({
    NODE_ENV: 'production', LOG_LEVEL: 'error', AI_DAWG_SERVICE_TOKEN: 'b'.repeat(40), AI_DAWG_BACKEND_URL: 'http://127.0.0.1:9',
    OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.url, ENABLE_AGENT_SYSTEM: 'false',
    RATE_LIMIT_DEFAULT_MAX: '1000000', RATE_LIMIT_WINDOW_MS: '60000',
  });
  const plane = await composeControlPlane(config, logger, { db, kv: new MemoryKv() });
  const key = (await plane.apiKeys.create('bench', [])).key;
  const server = plane.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const planeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name three synthwave chord progressions.' }] };
  const direct = () => request('POST', `${fake.url}/v1/chat/completions`, { Authorization: 'Bearer sk-bench' }, body);
  const routed = () => request('POST', `${planeUrl}/api/v1/ai/chat`, { Authorization: `Bearer ${key}` }, { messages: body.messages, model: 'gpt-4o-mini' });
  try {
    for (let i = 0; i < 200; i++) {
      await direct();
      await routed();
    }
    const directMs = new Float64Array(calls);
    const routedMs = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      let t = performance.now();
      const a = await direct();
      directMs[i] = performance.now() - t;
      t = performance.now();
      const b = await routed();
      routedMs[i] = performance.now() - t;
      if (a.status !== 200 || b.status !== 200) throw new Error(`unexpected status direct ${a.status} routed ${b.status}: ${JSON.stringify(b.body).slice(0, 200)}`);
    }
    directMs.sort();
    routedMs.sort();
    const row = (name: string, v: Float64Array) => console.log(`   ${name.padEnd(34)} p50 ${percentile(v, 50).toFixed(2)} ms   p99 ${percentile(v, 99).toFixed(2)} ms`);
    console.log(`\n2. POST /api/v1/ai/chat vs the fake OpenAI server directly (${calls} sequential calls each, interleaved)`);
    row('fake OpenAI directly', directMs);
    row('through /api/v1/ai/chat', routedMs);
    console.log(`   added: p50 ${(percentile(routedMs, 50) - percentile(directMs, 50)).toFixed(2)} ms, p99 ${(percentile(routedMs, 99) - percentile(directMs, 99)).toFixed(2)} ms (auth, validation, routing, budget check, ledger row on PGlite, JSON)`);
  } finally {
    server.close();
    await plane.close(100);
    await db.close();
    await fake.close();
  }
}

async function main(): Promise<void> {
  benchDecisions();
  await benchChat();
  console.log(`\nLoad average (1 min) ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores; node ${process.version}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
