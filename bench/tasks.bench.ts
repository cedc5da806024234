/**
 * Task system benchmark (`npm run bench:tasks`): our layer against the bare queue under it.
 *
 * On embedded PGlite (in memory) and on server PostgreSQL (a fresh schema per run, dropped at
 * the end together with its `_queue` schema, also on error or Ctrl-C), each run in a database
 * of its own:
 *
 *   1. Our layer: N no-op tasks through the AgentSystem. `enqueueMany` in chunks of 500 while
 *      the system runs, timed from the first enqueue until the bus has published N
 *      task.completed events; then SQL must show N completed rows with 3 events each
 *      (created, started, completed). Then the latency phase: 1,000 single `enqueue` calls
 *      paced at 200/s, each timed from just before the call to its task.started event.
 *   2. The bare queue: graphile-worker 0.17.3 with the same concurrency, local queue and batch
 *      settings and a no-op task; jobs added with `addJobs` in chunks of 1,000, timed until
 *      the task function has run N times, then the same latency phase with single `addJob`s.
 *
 * The clocks differ in one respect, as in docs/QUEUE_EVALUATION.md: ours stops at the N-th
 * *committed* completion, while graphile-worker writes completions after the task function
 * returns, so the bare clock stops before its last completions land; how much later they
 * did is printed under the table.
 *
 * Prints a table, the ratio ours/bare per backend and the targets (server PostgreSQL:
 * >= 5,000 tasks/s, p99 enqueue→start < 50 ms, ours >= 50 % of the bare queue) with
 * PASS/FAIL. Also the CPU time of this process and the load average, since other work on the
 * machine (2 cores) moves every figure. Exits 0 whatever the figures; non-zero on errors.
 *
 * Knobs (environment): BENCH_TASKS_N (20000), BENCH_TASKS_CONCURRENCY (24: graphile
 * concurrency, maxConcurrentTasks and maxConcurrentPerAgent), BENCH_TASKS_DB
 * (both|pglite|postgres), BENCH_TASKS_ROUNDS (1: runs per scenario, alternating ours and bare;
 * the table shows medians), BENCH_TASKS_WARMUP (1000: tasks run untimed first, 0 = none),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test; loopback only), BENCH_LOG_LEVEL
 * (unset = silent; e.g. warn prints the task system's and graphile-worker's warnings).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger as GraphileLogger, makeWorkerUtils, run } from 'graphile-worker';
import { Client } from 'pg';
import { z } from 'zod';
import { migrate, openPglite, openPostgres, type Db, type DbKind } from '../src/common/db';
import { logLevel } from '../src/common/env';
import { createLogger } from '../src/common/logger';
import { AgentSystem, BaseAgent, capability, queueSchemaFor } from '../src/control-plane/agents';
import type { AgentSystemConfig } from '../src/control-plane/config';
import { percentile, systemBusySeconds } from './support';

const int = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}`);
  return value;
};

const N = int('BENCH_TASKS_N', 20_000);
const CONCURRENCY = int('BENCH_TASKS_CONCURRENCY', 24);
const ROUNDS = int('BENCH_TASKS_ROUNDS', 1);
const WARMUP = int('BENCH_TASKS_WARMUP', 1_000, 0);
const DB_MODE = process.env.BENCH_TASKS_DB ?? 'both';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OUR_CHUNK = 500;
const BARE_CHUNK = 1_000;
const LOCAL_QUEUE = 500;
const LATENCY_N = 1_000;
const LATENCY_RATE = 200;
const TARGETS = { rate: 5_000, p99Ms: 50, ratio: 0.5 };

const AGENT = 'Bench';
const NOOP = { taskType: 'noop', payload: {}, priority: 'medium' } as const;
/** For investigation only: BENCH_LOG_LEVEL=warn shows what the task system and graphile-worker complain about. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ? logLevel.parse(process.env.BENCH_LOG_LEVEL) : undefined;
const logger = createLogger({ level: LOG_LEVEL ?? 'error', service: 'bench', silent: LOG_LEVEL === undefined });
const quietGraphile = new GraphileLogger(() => (level, message) => {
  if (LOG_LEVEL && (level === 'error' || level === 'warning')) console.error(`bare queue ${level}: ${message}`);
});
const fakeRouter = {
  modules: async () => ({ reachable: true, modules: [] }),
  execute: async (): Promise<never> => {
    throw new Error('unused: the bench agent calls no module');
  },
};
const agentConfig: AgentSystemConfig = {
  maxConcurrentTasks: CONCURRENCY,
  maxConcurrentPerAgent: CONCURRENCY,
  localQueueSize: LOCAL_QUEUE,
  // The rest as in production (src/control-plane/config.ts defaults).
  maxAttempts: 3,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  heartbeatMs: 5_000,
  workerStaleMs: 30_000,
  scheduleTickMs: 1_000,
  pollIntervalMs: 2_000,
};

const benchAgent = () =>
  new BaseAgent(AGENT, 'does nothing, so only the task system is measured', [
    capability({
      name: 'noop',
      description: 'returns at once',
      requiredModules: [],
      payload: z.object({}).strict(),
      timeoutMs: 30_000,
      resumable: true,
      run: async () => null,
    }),
  ]);

/**
 * What to undo, newest first. A run undoes its own steps when it ends; an error or Ctrl-C
 * undoes whatever is left. Unwinds are serialised, so each step runs once and in order.
 */
class Teardown {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];
  private chain: Promise<void> = Promise.resolve();

  get mark(): number {
    return this.steps.length;
  }

  push(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  unwindTo(mark: number): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.steps.length > mark) {
        const step = this.steps.pop()!;
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer after 20 s')), 20_000)));
        await Promise.race([step.undo(), limit])
          .catch((err: unknown) => console.error(`cleanup: ${step.what} failed: ${(err as Error).message}`))
          .finally(() => clearTimeout(timer));
      }
    });
    return this.chain;
  }
}
const teardown = new Teardown();

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) throw new Error(`BENCH_DATABASE_URL must point at this machine (127.0.0.1), not ${host}`);
}

async function dropSchemas(schema: string): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
  } finally {
    await client.end();
  }
}

/** A database of its own for one run; closing it (and dropping its schemas) is on the teardown. */
async function openDb(kind: DbKind): Promise<Db> {
  if (kind === 'pglite') {
    const db = await openPglite({ schema: 'bench_tasks' });
    teardown.push('close PGlite', () => db.close());
    return db;
  }
  const schema = `bench_tasks_${randomBytes(5).toString('hex')}`;
  teardown.push(`drop schemas ${schema} and ${schema}_queue`, () => dropSchemas(schema));
  const db = await openPostgres({ url: DATABASE_URL, schema, poolSize: 10, statementTimeoutMs: 30_000, logger });
  teardown.push(`close the pool of ${schema}`, () => db.close());
  return db;
}

/** Counts events; `reach` resolves with the moment the count got to a target. */
class Counter {
  count = 0;
  private waiter?: { target: number; resolve: (at: number) => void };

  hit(): void {
    this.count++;
    if (this.waiter && this.count >= this.waiter.target) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(performance.now());
    }
  }

  async reach(target: number, what: string, timeoutMs = Math.max(120_000, target * 10)): Promise<number> {
    if (this.count >= target) return performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<number>((resolve, reject) => {
        this.waiter = { target, resolve };
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}: ${this.count} of ${target}`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.waiter = undefined;
    }
  }
}

/** CPU of this process, the share of the whole machine that was busy, and the load, over one phase. */
interface Usage {
  cpuS: number;
  busyShare?: number;
  load1: number;
}

function meter(): () => Usage {
  const at = performance.now();
  const cpu = process.cpuUsage();
  const busy = systemBusySeconds();
  return () => {
    const used = process.cpuUsage(cpu);
    const busyNow = systemBusySeconds();
    const wallS = (performance.now() - at) / 1000;
    return {
      cpuS: (used.user + used.system) / 1e6,
      busyShare: busy === undefined || busyNow === undefined ? undefined : (busyNow - busy) / (wallS * os.cpus().length),
      load1: os.loadavg()[0] ?? NaN,
    };
  };
}

/**
 * Open loop, as independent clients send: call i is due at start + i/rate and goes out when
 * due, whether or not earlier calls have returned. Returns how late calls left (p99, ms).
 */
async function paced(call: (i: number) => Promise<void>): Promise<number> {
  const intervalMs = 1000 / LATENCY_RATE;
  const calls: Promise<void>[] = [];
  const lags = new Float64Array(LATENCY_N);
  const start = performance.now();
  for (let i = 0; i < LATENCY_N; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lags[i] = Math.max(0, performance.now() - due);
    calls.push(call(i));
  }
  await Promise.all(calls);
  return percentile(lags.sort(), 99);
}

/**
 * Waits until the queue's job table is empty: graphile-worker deletes a job after its task
 * function returned, so the last completions land after the clock stopped. Both runs wait for
 * them before the latency phase, which would otherwise time enqueues against that backlog.
 * Returns when they had landed.
 */
async function queueDrained(db: Db, queueSchema: string, total: number): Promise<number> {
  const jobsLeft = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${queueSchema}._private_jobs`))[0]?.n);
  const deadline = Date.now() + 30_000;
  let left = await jobsLeft();
  while (left > 0 && Date.now() < deadline) {
    await sleep(5);
    left = await jobsLeft();
  }
  if (left > 0) throw new Error(`${left} jobs still in ${queueSchema}._private_jobs 30 s after all ${total} ran`);
  return performance.now();
}

type Scenario = 'ours' | 'bare';

interface RunResult {
  backend: DbKind;
  scenario: Scenario;
  tasksPerS: number;
  enqueuePerS: number;
  p50: number;
  p99: number;
  usage: Usage;
  /** How long after the clock stopped the queue's last completion writes had landed. */
  landedAfterMs: number;
  sendLagP99: number;
}

/** Latency samples, ms: enqueue call → start, in send order. */
function latencies(before: Float64Array, startedAt: (i: number) => number | undefined): Float64Array {
  const out = new Float64Array(before.length);
  before.forEach((sent, i) => {
    const started = startedAt(i);
    if (started === undefined) throw new Error(`latency sample ${i} never started`);
    out[i] = started - sent;
  });
  return out.sort();
}

async function verifyOurs(db: Db, total: number): Promise<void> {
  const tasks = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM tasks GROUP BY status');
  const events = await db.query<{ type: string; n: string }>('SELECT type, count(*) AS n FROM task_events GROUP BY type');
  const byStatus = Object.fromEntries(tasks.map((r) => [r.status, Number(r.n)]));
  const byType = Object.fromEntries(events.map((r) => [r.type, Number(r.n)]));
  const eventTotal = Object.values(byType).reduce((a, b) => a + b, 0);
  const ok =
    tasks.length === 1 &&
    byStatus.completed === total &&
    byType['task.created'] === total &&
    byType['task.started'] === total &&
    byType['task.completed'] === total &&
    eventTotal === total * 3;
  if (!ok) throw new Error(`after ${total} tasks the database holds tasks ${JSON.stringify(byStatus)} and events ${JSON.stringify(byType)}`);
}

async function runOurs(backend: DbKind): Promise<RunResult> {
  const db = await openDb(backend);
  await migrate(db);
  const system = new AgentSystem({ db, moduleRouter: fakeRouter, logger, config: agentConfig, agents: [benchAgent()] });
  await system.migrate();
  const startedAt = new Map<string, number>();
  const completed = new Counter();
  const unexpected: string[] = [];
  system.bus.on('event', (e) => {
    if (e.type === 'task.started') startedAt.set(e.jobId, performance.now());
    else if (e.type === 'task.completed') completed.hit();
    else if (e.type !== 'task.created') unexpected.push(`${e.type} ${e.jobId} ${JSON.stringify(e.data ?? null)}`);
  });
  teardown.push('stop the agent system', () => system.stop(1_000));
  await system.start();

  const enqueue = async (count: number) => {
    for (let sent = 0; sent < count; sent += OUR_CHUNK) {
      await system.tasks.enqueueMany(AGENT, Array.from({ length: Math.min(OUR_CHUNK, count - sent) }, () => NOOP));
    }
  };
  if (WARMUP) {
    await enqueue(WARMUP);
    await completed.reach(WARMUP, 'warm-up tasks to complete');
  }
  const stop = meter();
  const t0 = performance.now();
  await enqueue(N);
  const enqueued = performance.now();
  const done = await completed.reach(WARMUP + N, 'task.completed events');
  const usage = stop();
  if (unexpected.length) throw new Error(`no-op tasks should only start and complete; got ${unexpected.length} other events, e.g. ${unexpected[0]}`);
  const landedAfterMs = (await queueDrained(db, queueSchemaFor(db), WARMUP + N)) - done;
  await verifyOurs(db, WARMUP + N);

  startedAt.clear();
  const before = new Float64Array(LATENCY_N);
  const ids: string[] = [];
  const sendLagP99 = await paced(async (i) => {
    before[i] = performance.now();
    ids[i] = (await system.tasks.enqueue(AGENT, NOOP)).id;
  });
  await completed.reach(WARMUP + N + LATENCY_N, 'latency-phase tasks to complete', 30_000);
  if (unexpected.length) throw new Error(`no-op tasks should only start and complete; got ${unexpected.length} other events, e.g. ${unexpected[0]}`);
  const sorted = latencies(before, (i) => startedAt.get(ids[i] ?? ''));
  return {
    backend,
    scenario: 'ours',
    tasksPerS: N / ((done - t0) / 1000),
    enqueuePerS: N / ((enqueued - t0) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    usage,
    landedAfterMs,
    sendLagP99,
  };
}

async function runBare(backend: DbKind): Promise<RunResult> {
  const db = await openDb(backend);
  const schema = queueSchemaFor(db);
  const pool = db.createPool(CONCURRENCY + 4);
  teardown.push('end the bare queue pool', () => pool.end());
  const utils = await makeWorkerUtils({ pgPool: pool, schema, logger: quietGraphile });
  teardown.push('release worker utils', async () => await utils.release());
  await utils.migrate();

  const handled = new Counter();
  const startedAt = new Float64Array(LATENCY_N);
  let stopRunner: (() => Promise<void>) | undefined;
  teardown.push('stop the bare queue', async () => stopRunner?.());
  const runner = await run({
    pgPool: pool,
    schema,
    concurrency: CONCURRENCY,
    noHandleSignals: true,
    logger: quietGraphile,
    preset: { worker: { localQueue: { size: LOCAL_QUEUE }, completeJobBatchDelay: 0 } },
    taskList: {
      noop: async (payload) => {
        const i = (payload as { i?: number } | null)?.i;
        if (typeof i === 'number') startedAt[i] = performance.now();
        handled.hit();
      },
    },
  });
  stopRunner = () => runner.stop();

  const addAll = async (count: number) => {
    for (let sent = 0; sent < count; sent += BARE_CHUNK) {
      await utils.addJobs(Array.from({ length: Math.min(BARE_CHUNK, count - sent) }, () => ({ identifier: 'noop', payload: {} })));
    }
  };
  if (WARMUP) {
    await addAll(WARMUP);
    await handled.reach(WARMUP, 'warm-up jobs to run');
  }
  const stop = meter();
  const t0 = performance.now();
  await addAll(N);
  const enqueued = performance.now();
  const done = await handled.reach(WARMUP + N, 'bare jobs to run');
  const usage = stop();
  const landedAfterMs = (await queueDrained(db, schema, WARMUP + N)) - done;

  const before = new Float64Array(LATENCY_N);
  const sendLagP99 = await paced(async (i) => {
    before[i] = performance.now();
    await utils.addJob('noop', { i });
  });
  await handled.reach(WARMUP + N + LATENCY_N, 'latency-phase jobs to run', 30_000);
  const sorted = latencies(before, (i) => startedAt[i] || undefined);
  return {
    backend,
    scenario: 'bare',
    tasksPerS: N / ((done - t0) / 1000),
    enqueuePerS: N / ((enqueued - t0) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    usage,
    landedAfterMs,
    sendLagP99,
  };
}

async function measure(backend: DbKind, scenario: Scenario): Promise<RunResult> {
  const mark = teardown.mark;
  try {
    return await (scenario === 'ours' ? runOurs(backend) : runBare(backend));
  } finally {
    await teardown.unwindTo(mark);
  }
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const fmtRate = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v * 100)} %`);
const LABEL: Record<DbKind, string> = { pglite: 'PGlite (memory)', postgres: 'PostgreSQL' };
const SCENARIO_LABEL: Record<Scenario, string> = { ours: 'our layer (AgentSystem)', bare: 'bare graphile-worker' };

/** Columns before `textColumns` are text (left-aligned), the rest figures (right-aligned). */
function table(rows: string[][], textColumns = 1): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i < textColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The medians of one backend × scenario over its rounds. */
interface Summary {
  runs: RunResult[];
  tasksPerS: number;
  p50: number;
  p99: number;
}

function summarise(runs: RunResult[]): Summary {
  return { runs, tasksPerS: median(runs.map((r) => r.tasksPerS)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) };
}

function report(backends: DbKind[], results: RunResult[]): void {
  const rows = [['backend', 'scenario', 'tasks/s', 'enqueue/s', 'enq→start p50 ms', 'p99 ms', 'CPU µs/task', 'machine busy', 'load 1m']];
  const summaries = new Map<string, Summary>();
  for (const backend of backends) {
    for (const scenario of ['ours', 'bare'] as const) {
      const runs = results.filter((r) => r.backend === backend && r.scenario === scenario);
      if (!runs.length) continue;
      summaries.set(`${backend}/${scenario}`, summarise(runs));
      for (const r of runs) {
        rows.push([
          LABEL[backend],
          SCENARIO_LABEL[scenario] + (runs.length > 1 ? ` #${runs.indexOf(r) + 1}` : ''),
          fmtRate(r.tasksPerS),
          fmtRate(r.enqueuePerS),
          fmt(r.p50),
          fmt(r.p99),
          String(Math.round((r.usage.cpuS / N) * 1e6)),
          pct(r.usage.busyShare),
          fmt(r.usage.load1, 2),
        ]);
      }
    }
  }
  console.log(`\n${table(rows, 2)}`);
  console.log('(tasks/s, CPU, machine busy and load: the throughput phase; p50/p99: the paced latency phase. CPU is this process only:');
  console.log(' on PostgreSQL the server works too, and "machine busy" is the share of all CPUs used by anything, other sessions included)');
  for (const r of results) {
    console.log(`  ${LABEL[r.backend]}, ${r.scenario}: its last completions landed ${fmt(r.landedAfterMs, 0)} ms after its clock stopped`);
    if (r.sendLagP99 > 5) console.log(`  warning: ${LABEL[r.backend]}, ${r.scenario}: paced enqueues left late (p99 ${fmt(r.sendLagP99)} ms): this process was short of CPU`);
  }

  const medians = ROUNDS > 1 ? ' (medians)' : '';
  console.log('');
  for (const backend of backends) {
    const ours = summaries.get(`${backend}/ours`);
    const bare = summaries.get(`${backend}/bare`);
    if (ours && bare) console.log(`${LABEL[backend]}: ours/bare = ${fmt((ours.tasksPerS / bare.tasksPerS) * 100)} % of the bare queue's rate${medians}`);
  }

  const ours = summaries.get('postgres/ours');
  const bare = summaries.get('postgres/bare');
  if (!ours || !bare) {
    console.log('\nThe targets are for server PostgreSQL, which was not measured in this run.');
    return;
  }
  const verdicts = [
    { target: `our layer >= ${TARGETS.rate.toLocaleString('en-US')} tasks/s`, value: `${fmtRate(ours.tasksPerS)} tasks/s`, pass: ours.tasksPerS >= TARGETS.rate },
    { target: `our layer p99 enqueue→start < ${TARGETS.p99Ms} ms`, value: `${fmt(ours.p99)} ms`, pass: ours.p99 < TARGETS.p99Ms },
    {
      target: `our layer >= ${TARGETS.ratio * 100} % of the bare queue's rate`,
      value: `${fmt((ours.tasksPerS / bare.tasksPerS) * 100)} %`,
      pass: ours.tasksPerS / bare.tasksPerS >= TARGETS.ratio,
    },
  ];
  console.log(`\nTargets (issue 4, server PostgreSQL${medians}):`);
  console.log(table([['target', 'measured', 'verdict'], ...verdicts.map((v) => [v.target, v.value, v.pass ? 'PASS' : 'FAIL'])]));
}

async function main(): Promise<void> {
  const began = performance.now();
  if (!['both', 'pglite', 'postgres'].includes(DB_MODE)) throw new Error('BENCH_TASKS_DB must be both, pglite or postgres');
  const backends: DbKind[] = DB_MODE === 'both' ? ['pglite', 'postgres'] : [DB_MODE as DbKind];
  if (backends.includes('postgres')) assertLoopback(DATABASE_URL);

  const [load1, load5] = os.loadavg();
  console.log(`tasks bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${fmt(load1 ?? NaN, 2)} (1m) ${fmt(load5 ?? NaN, 2)} (5m)`);
  console.log(
    `N=${N.toLocaleString('en-US')} no-op tasks (after ${WARMUP} untimed), concurrency ${CONCURRENCY}, local queue ${LOCAL_QUEUE}; ` +
      `enqueue in chunks of ${OUR_CHUNK} (ours) / ${BARE_CHUNK} (bare); latency: ${LATENCY_N} single enqueues paced at ${LATENCY_RATE}/s; ` +
      `${ROUNDS} round(s)`,
  );
  if (backends.includes('postgres')) console.log(`PostgreSQL: ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')}, schemas bench_tasks_<random> (+ _queue), dropped at the end`);

  const results: RunResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating who goes first spreads warm-up and drifting background load over both.
    const order: Scenario[] = round % 2 ? ['ours', 'bare'] : ['bare', 'ours'];
    for (const backend of backends) {
      for (const scenario of order) {
        const r = await measure(backend, scenario);
        results.push(r);
        console.log(
          `  ${LABEL[backend]}, ${SCENARIO_LABEL[scenario]}: ${fmtRate(r.tasksPerS)} tasks/s, ` +
            `enqueue→start p50 ${fmt(r.p50)} ms p99 ${fmt(r.p99)} ms (load ${fmt(r.usage.load1, 2)})`,
        );
      }
    }
  }

  report(backends, results);
  const cpu = process.cpuUsage();
  const wallS = (performance.now() - began) / 1000;
  console.log(
    `\nprocess CPU ${fmt(cpu.user / 1e6)} s user + ${fmt(cpu.system / 1e6)} s system over ${fmt(wallS)} s wall; ` +
      `load average ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')} (1m / 5m / 15m) on ${os.cpus().length} CPUs`,
  );
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: cleaning up`);
    void teardown.unwindTo(0).finally(() => process.exit(130));
  });
}

main()
  .then(
    () => teardown.unwindTo(0).then(() => process.exit(0)),
    async (err: unknown) => {
      if (interrupted) return;
      console.error(`\ntasks bench failed: ${(err as Error).stack ?? String(err)}`);
      await teardown.unwindTo(0);
      process.exit(1);
    },
  );
