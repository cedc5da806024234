/**
 * Gateway benchmark (`npm run bench:gateway`). See docs/PERFORMANCE.md.
 *
 * Starts, each in its own process: the real AI DAWG, the real control plane in front of it,
 * a bare Express 5 hello-world and a bare node:http proxy. The load generators run here, in
 * this process. Measures:
 *
 *   1. POST /api/v1/execute (testing/health-check) at a fixed 1,000 req/s, through the
 *      control plane vs. straight to the DAWG: the latency the gateway adds. Twice: with
 *      autocannon `overallRate` (per-second bursts), and with evenly spaced requests.
 *      A bare node:http proxy in front of the same DAWG, paced the same way, shows the floor:
 *      what any extra HTTP hop costs on this machine.
 *   2. GET /status (integration token, then an API key) at full speed vs. the bare Express
 *      hello-world, with autocannon: what the control plane's middleware costs in throughput.
 *
 * Also reports the CPU time each process spent per request (Linux), and how busy the machine
 * was with other work during each run, since both explain the figures.
 *
 * Prints a table and PASS/FAIL per target, always exits 0 (figures, not a test), and removes
 * every child, temp directory and database schema it created, also on error or Ctrl-C.
 *
 * Knobs (environment): BENCH_DURATION_S (10: measured seconds per scenario), BENCH_SLICES (2:
 * pieces each scenario's time is cut into, interleaved with the scenarios it is compared
 * with), BENCH_WARMUP_S (2), BENCH_RATE (1000), BENCH_RATE_CONNECTIONS (10),
 * BENCH_CONNECTIONS (50), BENCH_DB (auto|postgres|pglite),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), BENCH_JSON (write results
 * to this file), BENCH_CPU_PROF (directory: run the children with --cpu-prof),
 * BENCH_KEEP_LOGS=1 (keep the temp directory with the service logs), BENCH_ONLY (comma list
 * of scenario ids to run) and BENCH_LOG_LEVEL (info), both for investigation.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  addCpu,
  cpuBetween,
  cpuSnapshot,
  freePort,
  Recorder,
  request,
  runAutocannon,
  runPaced,
  spawnService,
  waitReady,
  type CpuUse,
  type LoadResult,
  type Service,
} from './support';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const DURATION_S = num('BENCH_DURATION_S', 10);
const WARMUP_S = num('BENCH_WARMUP_S', 2);
const RATE = num('BENCH_RATE', 1_000);
const RATE_CONNECTIONS = num('BENCH_RATE_CONNECTIONS', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const SLICES = Math.round(num('BENCH_SLICES', 2));
const DB_MODE = process.env.BENCH_DB ?? 'auto';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
/** For investigation only (e.g. `warn` shows what the per-request log line costs); production runs at info. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
/** For investigation: extra node flags for the control plane only (e.g. `--max-semi-space-size=32`). */
const CP_NODE_ARGS = (process.env.BENCH_CP_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;

const TARGETS = { addedP50Ms: 1, addedP99Ms: 5, statusVsBare: 0.6 };

const token = () => randomBytes(32).toString('base64url');
const SERVICE_TOKEN = token();
const INTEGRATION_TOKEN = token();
const EXECUTE_BODY = JSON.stringify({ module: 'testing', action: 'health-check', params: {} });

/** Variables of ours the caller's shell may carry; the children get exactly what the bench sets. */
const OWN_ENV = /^(NODE_ENV|LOG_LEVEL|JARVIS_|AI_DAWG_|DATABASE_|REDIS_|RATE_LIMIT_|CORS_|TRUST_PROXY|JSON_BODY_LIMIT)/;

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!OWN_ENV.test(key)) env[key] = value;
  env.NODE_ENV = 'production';
  env.LOG_LEVEL = LOG_LEVEL;
  return env;
}

async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

const fmtMs = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const fmtS = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const fmtRps = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

function check(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`sanity check failed: ${what}; got ${JSON.stringify(got).slice(0, 400)}`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

type Generator = 'autocannon' | 'paced';

interface Scenario {
  id: string;
  label: string;
  generator: Generator;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** autocannon connections; for the paced generator, connections open as needed. */
  connections?: number;
  /** Fixed rate in req/s; unset = as fast as possible. */
  rate?: number;
  /** The services that do the work in this scenario: their CPU time per request is reported. */
  serves: string[];
}

interface Measured extends Scenario {
  result: LoadResult;
  cpu: CpuUse;
}

function load(s: Scenario, durationS: number, into: Recorder): Promise<void> {
  if (s.generator === 'paced') {
    return runPaced({ url: s.url, method: s.method, headers: s.headers, body: s.body, rate: s.rate ?? RATE, durationS }, into);
  }
  return runAutocannon(
    { url: s.url, method: s.method, headers: s.headers, body: s.body, connections: s.connections ?? 10, overallRate: s.rate, durationS },
    into,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'jarvis-bench-'));
  const services: Service[] = [];
  let schema: string | undefined;
  let cleaned = false;
  let cleaning: Promise<void> | undefined;

  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
      if (schema) await dropSchema(schema).catch((err: Error) => console.error(`could not drop schema ${schema}: ${err.message}`));
      if (process.env.BENCH_KEEP_LOGS === '1') console.log(`logs kept in ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
      cleaned = true;
    })());
  // Last resort if something ends the process before `finally` has run: no orphans, no temp dir.
  process.once('exit', () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    if (!cleaned && process.env.BENCH_KEEP_LOGS !== '1') rmSync(tmp, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const [dawgPort, cpPort, barePort, floorPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const dawgUrl = `http://127.0.0.1:${dawgPort}`;
    const cpUrl = `http://127.0.0.1:${cpPort}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const floorUrl = `http://127.0.0.1:${floorPort}`;

    const pgUp = DB_MODE !== 'pglite' && (await postgresReachable());
    if (DB_MODE === 'postgres' && !pgUp) throw new Error(`PostgreSQL not reachable at ${DATABASE_URL}`);
    const storageEnv: NodeJS.ProcessEnv = { JARVIS_DATA_DIR: path.join(tmp, 'data') };
    if (pgUp) {
      schema = `bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
      Object.assign(storageEnv, { DATABASE_URL, DATABASE_SCHEMA: schema });
    }
    const storageLabel = pgUp ? `PostgreSQL ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')} (schema ${schema}, dropped at the end)` : 'embedded PGlite in a temp dir';

    // One directory per service: tsx's loader runs in a worker thread that writes a profile of its own.
    const profArgs = (name: string) => (CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(CPU_PROF_DIR, name)}`] : []);
    const common = baseEnv();

    console.log(`gateway bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${os.platform()} ${os.release()}`);
    const idleCheck = cpuSnapshot([]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const busyBefore = cpuBetween(idleCheck, cpuSnapshot([])).foreignShare;
    if (busyBefore !== undefined) {
      const pct = Math.round(busyBefore * 100);
      console.log(`machine busy before start: ${pct} % of all CPUs${pct > 10 ? '  <- other work is running: expect noisy figures' : ''}`);
    }
    console.log(`storage: ${storageLabel}; logs: LOG_LEVEL=${LOG_LEVEL} to files in ${tmp}`);
    console.log(`each scenario: warm-up ${WARMUP_S} s, then ${DURATION_S} s measured\n`);

    const dawg = spawnService(
      'ai-dawg',
      'src/dawg/main.ts',
      { ...common, AI_DAWG_HOST: '127.0.0.1', AI_DAWG_PORT: String(dawgPort), AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN, AI_DAWG_DATA_DIR: path.join(tmp, 'dawg') },
      path.join(tmp, 'ai-dawg.log'),
      profArgs('ai-dawg'),
    );
    services.push(dawg);
    const cp = spawnService(
      'control-plane',
      'src/control-plane/main.ts',
      {
        ...common,
        ...storageEnv,
        JARVIS_HOST: '127.0.0.1',
        JARVIS_PORT: String(cpPort),
        JARVIS_AUTH_TOKEN: INTEGRATION_TOKEN,
        AI_DAWG_BACKEND_URL: dawgUrl,
        AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN,
        // Far above what the bench sends, so the limiter counts (its cost is measured) but never answers 429.
        RATE_LIMIT_WINDOW_MS: '60000',
        RATE_LIMIT_HEALTH_MAX: '1000000',
        RATE_LIMIT_EXECUTE_MAX: '1000000',
        RATE_LIMIT_CHATGPT_MAX: '1000000',
        RATE_LIMIT_DEVOPS_MAX: '1000000',
        RATE_LIMIT_DEFAULT_MAX: '1000000',
      },
      path.join(tmp, 'control-plane.log'),
      [...CP_NODE_ARGS, ...profArgs('control-plane')],
    );
    services.push(cp);
    const bare = spawnService('bare-express', 'bench/bare-express.ts', { ...common, PORT: String(barePort) }, path.join(tmp, 'bare-express.log'), profArgs('bare-express'));
    services.push(bare);
    const floor = spawnService(
      'floor-proxy',
      'bench/floor-proxy.ts',
      { ...common, PORT: String(floorPort), UPSTREAM_PORT: String(dawgPort) },
      path.join(tmp, 'floor-proxy.log'),
      profArgs('floor-proxy'),
    );
    services.push(floor);

    await Promise.all([
      waitReady(dawg, `${dawgUrl}/health`),
      waitReady(cp, `${cpUrl}/health`),
      waitReady(bare, `${bareUrl}/`),
      waitReady(floor, `${floorUrl}/health`),
    ]);
    const bootMs = Date.now() - started;

    // The bootstrap admin key the control plane prints on its first start (fresh database).
    const adminKey = /jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(cp.log())?.[0];
    if (!adminKey) throw new Error('the control plane printed no bootstrap admin key: is the database really fresh?');
    // A client's key as an operator would issue it: integration tier only, made with the admin key.
    const created = await request('POST', `${cpUrl}/api/v1/admin/api-keys`, { authorization: `Bearer ${adminKey}` }, { name: 'bench', scopes: [] });
    check(created.status === 201, 'POST /api/v1/admin/api-keys answers 201', created);
    const apiKey = (created.body as { key: string }).key;

    const direct = { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' };
    const viaToken = { authorization: `Bearer ${INTEGRATION_TOKEN}`, 'content-type': 'application/json' };
    const viaKey = { 'x-api-key': apiKey };

    // Each path answers correctly before it is timed: a fast 401 or 502 would be a meaningless figure.
    const executeOk = (a: { status: number; body: unknown }) => a.status === 200 && (a.body as { result?: { status?: string } }).result?.status === 'ok';
    const d = await request('POST', `${dawgUrl}/api/v1/execute`, direct, JSON.parse(EXECUTE_BODY));
    check(executeOk(d), 'DAWG execute answers 200 with result.status ok', d);
    const c = await request('POST', `${cpUrl}/api/v1/execute`, viaToken, JSON.parse(EXECUTE_BODY));
    check(executeOk(c), 'control-plane execute answers 200 with result.status ok', c);
    for (const headers of [viaToken, viaKey]) {
      const s = await request('GET', `${cpUrl}/status`, headers);
      check(s.status === 200 && (s.body as { dawg?: { reachable?: boolean } }).dawg?.reachable === true, 'GET /status answers 200 with dawg.reachable', s);
    }
    const f = await request('POST', `${floorUrl}/api/v1/execute`, direct, JSON.parse(EXECUTE_BODY));
    check(executeOk(f), 'floor proxy execute answers 200 with result.status ok', f);
    const b = await request('GET', `${bareUrl}/`, {});
    check(b.status === 200, 'bare Express answers 200', b);

    const exec = (id: string, label: string, generator: Generator, url: string, headers: Record<string, string>, serves: string[]): Scenario => ({
      id,
      serves,
      label,
      generator,
      url,
      method: 'POST',
      headers,
      body: EXECUTE_BODY,
      connections: RATE_CONNECTIONS,
      rate: RATE,
    });
    const max = (id: string, label: string, url: string, headers: Record<string, string>, serves: string[]): Scenario => ({
      id,
      serves,
      label,
      generator: 'autocannon',
      url,
      method: 'GET',
      headers,
      connections: CONNECTIONS,
    });
    // Scenarios compared with each other form a group; a group's runs are interleaved in
    // slices (A B C A B C ...), so a change in background load hits all of them alike.
    const groups: Scenario[][] = [
      [
        exec('exec-direct', `execute direct to DAWG, autocannon ${RATE}/s`, 'autocannon', `${dawgUrl}/api/v1/execute`, direct, ['ai-dawg']),
        exec('exec-gateway', `execute via control plane, autocannon ${RATE}/s`, 'autocannon', `${cpUrl}/api/v1/execute`, viaToken, ['control-plane', 'ai-dawg']),
      ],
      [
        exec('paced-direct', `execute direct to DAWG, paced ${RATE}/s`, 'paced', `${dawgUrl}/api/v1/execute`, direct, ['ai-dawg']),
        exec('paced-floor', `execute via bare node:http proxy, paced ${RATE}/s`, 'paced', `${floorUrl}/api/v1/execute`, direct, ['floor-proxy', 'ai-dawg']),
        exec('paced-gateway', `execute via control plane, paced ${RATE}/s`, 'paced', `${cpUrl}/api/v1/execute`, viaToken, ['control-plane', 'ai-dawg']),
      ],
      [
        max('bare', 'bare Express hello-world, max', `${bareUrl}/`, {}, ['bare-express']),
        max('status-token', 'GET /status (Bearer token), max', `${cpUrl}/status`, viaToken, ['control-plane']),
        max('status-key', 'GET /status (X-API-Key), max', `${cpUrl}/status`, viaKey, ['control-plane']),
      ],
    ];

    const pids = services.map((s) => ({ name: s.name, pid: s.child.pid }));
    const died = services.map((s) => s.died);
    const measured = new Map<string, Measured>();
    for (const group of groups.map((g) => g.filter((s) => !ONLY || ONLY.has(s.id))).filter((g) => g.length)) {
      console.log(`  ${group.map((s) => s.id).join(', ')}: warm-up, then ${SLICES} interleaved slices of ${fmtS(DURATION_S / SLICES)} s each`);
      for (const scenario of group) await Promise.race([load(scenario, WARMUP_S, new Recorder()), ...died]);
      const recorders = new Map(group.map((s) => [s.id, new Recorder()]));
      const cpu = new Map<string, CpuUse>();
      for (let slice = 0; slice < SLICES; slice++) {
        for (const scenario of group) {
          const before = cpuSnapshot(pids);
          await Promise.race([load(scenario, DURATION_S / SLICES, recorders.get(scenario.id)!), ...died]);
          cpu.set(scenario.id, addCpu(cpu.get(scenario.id), cpuBetween(before, cpuSnapshot(pids))));
        }
      }
      for (const scenario of group) {
        const result = recorders.get(scenario.id)!.result();
        measured.set(scenario.id, { ...scenario, result, cpu: cpu.get(scenario.id)! });
        const flaws = result.non2xx || result.errors ? `  (non-2xx ${result.non2xx}, errors ${result.errors})` : '';
        console.log(`    ${scenario.label.padEnd(46)} ${fmtRps(result.rps)} req/s, p50 ${fmtMs(result.p50)} ms, p99 ${fmtMs(result.p99)} ms${flaws}`);
      }
    }

    // ---- report -------------------------------------------------------------------------
    const rows = [['scenario', 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors']];
    for (const m of measured.values()) {
      const r = m.result;
      const conns = m.generator === 'paced' ? `<=${r.maxInFlight ?? '?'}` : String(m.connections);
      rows.push([m.label, conns, fmtRps(r.rps), fmtMs(r.p50), fmtMs(r.p90), fmtMs(r.p99), fmtMs(r.max), String(r.non2xx), String(r.errors)]);
    }
    console.log(`\n${table(rows)}`);

    const names = ['control-plane', 'ai-dawg', 'floor-proxy', 'bare-express', 'bench'];
    const cpuRows = [['CPU time per request (µs)', ...names, 'other load']];
    let busy = false;
    for (const m of measured.values()) {
      const served = m.result.ok + m.result.non2xx;
      const cell = (name: string) => {
        const s = m.cpu.seconds.get(name);
        if (s === undefined || served === 0 || (name !== 'bench' && !m.serves.includes(name))) return '-';
        return String(Math.round((s / served) * 1e6));
      };
      const foreign = m.cpu.foreignShare;
      if (foreign !== undefined && foreign > 0.1) busy = true;
      cpuRows.push([m.label, ...names.map(cell), foreign === undefined ? 'n/a' : `${Math.round(foreign * 100)} %`]);
    }
    console.log(`\n${table(cpuRows)}`);
    console.log('("other load": share of all CPUs used by processes outside this bench during the run)');
    if (busy) console.log('warning: other processes used over 10 % of the machine in some runs; those figures are noisy');
    for (const m of measured.values()) {
      const lag = m.result.sendLagP99;
      if (lag !== undefined && lag > 2) console.log(`warning: ${m.id}: the paced generator sent late (p99 ${fmtMs(lag)} ms behind schedule); this process was short of CPU`);
    }

    const verdicts: { target: string; value: string; pass: boolean }[] = [];
    const flawed = (...ids: string[]) =>
      ids.some((id) => {
        const r = measured.get(id)?.result;
        return !r || r.non2xx > 0 || r.errors > 0;
      });
    for (const [directId, gatewayId, how] of [
      ['exec-direct', 'exec-gateway', 'autocannon'],
      ['paced-direct', 'paced-gateway', 'paced'],
    ] as const) {
      const directR = measured.get(directId)?.result;
      const gatewayR = measured.get(gatewayId)?.result;
      if (!directR || !gatewayR) continue;
      const bad = flawed(directId, gatewayId);
      const addedP50 = gatewayR.p50 - directR.p50;
      const addedP99 = gatewayR.p99 - directR.p99;
      verdicts.push({ target: `added latency p50 < ${TARGETS.addedP50Ms} ms (${how})`, value: `${fmtMs(addedP50)} ms`, pass: !bad && addedP50 < TARGETS.addedP50Ms });
      verdicts.push({ target: `added latency p99 < ${TARGETS.addedP99Ms} ms (${how})`, value: `${fmtMs(addedP99)} ms`, pass: !bad && addedP99 < TARGETS.addedP99Ms });
      for (const [id, r] of [
        [directId, directR],
        [gatewayId, gatewayR],
      ] as const) {
        if (r.rps < RATE * 0.95) console.log(`note: ${id} delivered ${fmtRps(r.rps)} of the ${RATE} req/s asked: the target could not keep up, so its latency is mostly queueing`);
      }
    }
    const floorR = measured.get('paced-floor')?.result;
    const pacedDirect = measured.get('paced-direct')?.result;
    const reference =
      floorR && pacedDirect
        ? `reference: a bare node:http proxy (no framework) adds p50 ${fmtMs(floorR.p50 - pacedDirect.p50)} ms, p99 ${fmtMs(floorR.p99 - pacedDirect.p99)} ms here (paced)`
        : undefined;
    const bareR = measured.get('bare')?.result;
    for (const [id, what] of [
      ['status-token', '/status (token)'],
      ['status-key', '/status (API key)'],
    ] as const) {
      const status = measured.get(id)?.result;
      if (!bareR || !status) continue;
      const ratio = status.rps / bareR.rps;
      verdicts.push({
        target: `${what} req/s >= ${TARGETS.statusVsBare * 100} % of bare Express`,
        value: `${(ratio * 100).toFixed(1)} %`,
        pass: !flawed('bare', id) && ratio >= TARGETS.statusVsBare,
      });
    }
    if (verdicts.length) {
      console.log(`\n${table([['target', 'measured', 'verdict'], ...verdicts.map((v) => [v.target, v.value, v.pass ? 'PASS' : 'FAIL'])])}`);
    }
    if (reference) console.log(reference);
    const totalS = (Date.now() - started) / 1000;
    console.log(`\n(services ready in ${(bootMs / 1000).toFixed(1)} s; whole bench ${totalS.toFixed(0)} s; percentiles are exact, over every 2xx response)`);

    if (process.env.BENCH_JSON) {
      const out = {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        storage: pgUp ? 'postgres' : 'pglite',
        settings: { DURATION_S, SLICES, WARMUP_S, RATE, RATE_CONNECTIONS, CONNECTIONS },
        results: Object.fromEntries(
          [...measured.values()].map((m) => [
            m.id,
            { ...m.result, cpuSeconds: Object.fromEntries(m.cpu.seconds), foreignShare: m.cpu.foreignShare, elapsedS: m.cpu.elapsedS },
          ]),
        ),
        verdicts,
      };
      writeFileSync(path.resolve(process.env.BENCH_JSON), `${JSON.stringify(out, null, 2)}\n`);
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\ngateway bench failed: ${(err as Error).message}`);
    // Figures, not a test: a failed run is reported, not turned into a failing exit code.
    process.exit(0);
  },
);
