/**
 * Plumbing for the gateway benchmark: free ports, child services with their logs in files,
 * readiness polling, an autocannon wrapper that keeps every latency sample at full
 * (sub-millisecond) resolution, and percentiles.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export const ROOT = path.resolve(__dirname, '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port the kernel says is free right now (it is released at once, so the child can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Service {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** The log file's content so far (stdout and stderr of the child). */
  log(): string;
  /** Rejects as soon as the child exits, so a crash during start-up or a run fails fast. */
  readonly died: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point as `node --import tsx <entry>`, the way `npm start` runs the
 * services: one process each, its own event loop, stdout and stderr to a log file (never
 * through this process, whose event loop is busy generating load).
 */
export function spawnService(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  logPath: string,
  extraNodeArgs: string[] = [],
): Service {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...extraNodeArgs, '--import', 'tsx', path.resolve(ROOT, entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const log = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  let stopping = false;
  const died = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${name} exited (${signal ?? `code ${code}`}); last log lines:\n${tail(log(), 15)}`));
    });
    child.once('error', (err) => reject(new Error(`${name} could not be started: ${err.message}`)));
  });
  died.catch(() => undefined);
  return {
    name,
    child,
    logPath,
    log,
    died,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last lines of a log, with API keys masked: the control plane prints its bootstrap admin key there. */
export function tail(text: string, lines: number): string {
  return text
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .join('\n')
    .replace(/jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/g, 'jrv_<redacted>');
}

/** Polls `url` until it answers `expectStatus`, or throws when the service dies or time is up. */
export async function waitReady(service: Service, url: string, timeoutMs = 60_000, expectStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  const poll = async () => {
    while (Date.now() < deadline) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === expectStatus) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms (${lastError}); last log lines:\n${tail(service.log(), 15)}`);
  };
  await Promise.race([poll(), service.died]);
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export async function request(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/** A growable buffer of latency samples in milliseconds. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export interface LoadResult {
  /** 2xx responses per second over the measured time. */
  rps: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts, plus (paced) requests not sent because the target was saturated. */
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Paced runs: how late requests left against their schedule (ms); large means this process was short of CPU. */
  sendLagP99?: number;
  /** Paced runs: the most requests waiting for an answer at once. */
  maxInFlight?: number;
}

/**
 * Everything measured for one scenario, possibly over several slices interleaved with other
 * scenarios (so a change in background load hits all of them alike).
 */
export class Recorder {
  private readonly samples = new Samples();
  private readonly lags = new Samples();
  private sum = 0;
  ok = 0;
  non2xx = 0;
  errors = 0;
  elapsedS = 0;
  maxInFlight = 0;

  latency(ms: number, status: number): void {
    if (status >= 200 && status < 300) {
      this.ok++;
      this.samples.push(ms);
      this.sum += ms;
    } else {
      this.non2xx++;
    }
  }

  sendLag(ms: number): void {
    this.lags.push(ms);
  }

  result(): LoadResult {
    const sorted = this.samples.sorted();
    const result: LoadResult = {
      rps: this.ok / this.elapsedS,
      ok: this.ok,
      non2xx: this.non2xx,
      errors: this.errors,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : NaN,
      mean: sorted.length ? this.sum / sorted.length : NaN,
    };
    if (this.lags.length) {
      result.sendLagP99 = percentile(this.lags.sorted(), 99);
      result.maxInFlight = this.maxInFlight;
    }
    return result;
  }
}

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  durationS: number;
}

export interface AutocannonOptions extends LoadOptions {
  connections: number;
  /** Requests per second over all connections (autocannon `overallRate`); unset = as fast as possible. */
  overallRate?: number;
}

/**
 * One autocannon run in this process, recorded into `into`. Latency comes from autocannon's
 * per-response event (high resolution, 2xx only) rather than from its histogram, which
 * stores whole milliseconds — too coarse for sub-millisecond budgets — and, under a rate,
 * adds coordinated-omission fill-ins at a fixed 1 ms interval.
 */
export async function runAutocannon(options: AutocannonOptions, into: Recorder): Promise<void> {
  let settle: (err: unknown, result: autocannon.Result) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result));
  });
  const instance = autocannon(
    {
      url: options.url,
      method: options.method,
      headers: options.headers,
      body: options.body,
      connections: options.connections,
      pipelining: 1,
      duration: options.durationS,
      overallRate: options.overallRate,
      timeout: 10,
    },
    (err, result) => settle(err, result),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => into.latency(responseTime, statusCode));
  const result = await finished;
  into.errors += result.errors;
  into.elapsedS += result.duration;
}

export interface PacedOptions extends LoadOptions {
  /** Requests per second, sent evenly spaced whether or not earlier answers have come back. */
  rate: number;
}

/** Past this many unanswered requests the paced generator stops adding more: the target is overloaded. */
const MAX_IN_FLIGHT = 256;

/**
 * An open-loop load generator: request i is due at start + i/rate and goes out when due, on
 * its own keep-alive connection if the others are busy. This is what "1,000 req/s" means
 * for a service with many independent clients — unlike autocannon's `overallRate`, which
 * lets each connection send its per-second quota back-to-back and then idle, i.e. bursts.
 * Latency is timed from the moment each request is written. Requests that fall due while
 * MAX_IN_FLIGHT are unanswered are not sent and count as errors: the target is saturated.
 */
export async function runPaced(options: PacedOptions, into: Recorder): Promise<void> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT, maxFreeSockets: MAX_IN_FLIGHT });
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = body ? { ...options.headers, 'content-length': String(body.length) } : options.headers;
  let inFlight = 0;
  const total = Math.round(options.rate * options.durationS);
  const intervalMs = 1000 / options.rate;

  const fire = () =>
    new Promise<void>((resolve) => {
      inFlight++;
      into.maxInFlight = Math.max(into.maxInFlight, inFlight);
      const sent = performance.now();
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        inFlight--;
        resolve();
        return true;
      };
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method, headers },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            const ms = performance.now() - sent;
            if (settle()) into.latency(ms, res.statusCode ?? 0);
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        if (settle()) into.errors++;
      });
      req.end(body);
    });

  const pending: Promise<void>[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let due = 0;
    const tick = () => {
      const now = performance.now();
      while (due < total && started + due * intervalMs <= now) {
        into.sendLag(now - (started + due * intervalMs));
        if (inFlight < MAX_IN_FLIGHT) pending.push(fire());
        else into.errors++;
        due++;
      }
      if (due >= total) return resolve();
      // Node timers have ~1 ms granularity: requests that fall due in the meantime go out together on the next tick.
      setTimeout(tick, Math.max(0, started + due * intervalMs - performance.now()));
    };
    tick();
  });
  // Stragglers get a bounded time to finish; anything still open then is cut (and counted as an error).
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(pending), new Promise((resolve) => (drainTimer = setTimeout(resolve, 3_000)))]);
  clearTimeout(drainTimer);
  into.elapsedS += (performance.now() - started) / 1000;
  agent.destroy();
  await Promise.all(pending);
}

// ---- CPU accounting (Linux /proc; elsewhere these figures are simply left out) ----------

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process (all its threads) has used, or undefined off Linux. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Machine-wide busy CPU seconds (steal counted as busy: it is time this VM did not get). */
export function systemBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  at: number;
  self: number;
  system: number | undefined;
  children: Map<string, number | undefined>;
}

export function cpuSnapshot(children: { name: string; pid: number | undefined }[]): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    self: (usage.user + usage.system) / 1e6,
    system: systemBusySeconds(),
    children: new Map(children.map((c) => [c.name, c.pid === undefined ? undefined : processCpuSeconds(c.pid)])),
  };
}

export interface CpuUse {
  /** CPU seconds per service (and `bench` for this process) over the window. */
  seconds: Map<string, number>;
  /** Share of the whole machine used by processes other than the bench and its children. */
  foreignShare: number | undefined;
  elapsedS: number;
}

/** The sum of two measured windows (e.g. the slices of one scenario). */
export function addCpu(a: CpuUse | undefined, b: CpuUse): CpuUse {
  if (!a) return b;
  const seconds = new Map(a.seconds);
  for (const [name, s] of b.seconds) seconds.set(name, (seconds.get(name) ?? 0) + s);
  const elapsedS = a.elapsedS + b.elapsedS;
  const foreignShare =
    a.foreignShare === undefined || b.foreignShare === undefined ? undefined : (a.foreignShare * a.elapsedS + b.foreignShare * b.elapsedS) / elapsedS;
  return { seconds, foreignShare, elapsedS };
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const elapsedS = (b.at - a.at) / 1000;
  const seconds = new Map<string, number>([['bench', b.self - a.self]]);
  for (const [name, before] of a.children) {
    const after = b.children.get(name);
    if (before !== undefined && after !== undefined) seconds.set(name, after - before);
  }
  let foreignShare: number | undefined;
  if (a.system !== undefined && b.system !== undefined) {
    const ours = [...seconds.values()].reduce((x, y) => x + y, 0);
    foreignShare = Math.max(0, (b.system - a.system - ours) / (elapsedS * os.cpus().length));
  }
  return { seconds, foreignShare, elapsedS };
}
