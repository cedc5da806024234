import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * End to end: the real entry points run as child processes, exactly as `npm run start:*` and
 * `npm start` run them (through the repository's tsx), on free ports and temporary data
 * directories with embedded PGlite. Every wait is bounded and every child is killed in
 * afterAll, whatever happened.
 */

// tsx start-up plus a first PGlite initialisation take seconds, more on a busy machine.
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const KEY_PATTERN = /jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/g;
const STARTUP_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Proc {
  name: string;
  child: ChildProcess;
  stdout(): string;
  output(): string;
  exit: Promise<Exit>;
  exited(): boolean;
}

const procs: Proc[] = [];
const tempDirs: string[] = [];

/** A secret-free environment: nothing from the developer's shell (a DATABASE_URL, a .env) may leak in. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'info' };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return { ...env, ...extra };
}

/**
 * Starts `node --import tsx <script>`, as `npm start` does, in a process group of its own,
 * so cleanup can kill it and any grandchildren at once. The loader is named by absolute URL
 * because some tests run in a scratch directory.
 */
function start(name: string, script: string, env: NodeJS.ProcessEnv, cwd = ROOT): Proc {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, script)], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let all = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (all += chunk));
  let done = false;
  const exit = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const proc: Proc = { name, child, stdout: () => stdout, output: () => all, exit, exited: () => done };
  procs.push(proc);
  return proc;
}

function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls GET /health until it answers 200; fails early if the process dies, and at the deadline. */
async function waitForHealth(baseUrl: string, procsToWatch: Proc[], timeoutMs = STARTUP_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = procsToWatch.find((p) => p.exited());
    if (dead) throw new Error(`${dead.name} exited before ${baseUrl}/health answered:\n${tail(dead.output())}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${baseUrl}/health did not answer within ${timeoutMs} ms:\n${procsToWatch.map((p) => `--- ${p.name}\n${tail(p.output())}`).join('\n')}`);
    }
    await sleep(150);
  }
}

function waitForExit(proc: Proc, ms: number): Promise<Exit> {
  return withDeadline(proc.exit, ms, `${proc.name} exit`).catch((err: Error) => {
    throw new Error(`${err.message}\n${tail(proc.output())}`);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when nothing accepts connections on the port any more. */
function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function http(
  method: 'GET' | 'POST',
  url: string,
  options: { key?: string; bearer?: string; body?: unknown } = {},
): Promise<{ status: number; body: any; ms: number }> {
  const headers: Record<string, string> = {};
  if (options.key) headers['x-api-key'] = options.key;
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const res = await fetch(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text
  }
  return { status: res.status, body, ms };
}

const HEALTH_CHECK = { module: 'testing', action: 'health-check', params: {} };

afterAll(async () => {
  for (const proc of procs) {
    if (proc.exited() || proc.child.pid === undefined) continue;
    try {
      process.kill(-proc.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(procs.map((p) => withDeadline(p.exit, 5_000, `${p.name} kill`).catch(() => undefined)));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}, 30_000);

describe('control plane and DAWG as separate processes', () => {
  const serviceToken = randomBytes(24).toString('hex');
  const authToken = randomBytes(24).toString('hex');
  let dawgPort: number;
  let logDir: string;
  let planePort: number;
  let planeUrl: string;
  let planeEnv: NodeJS.ProcessEnv;
  let dawg: Proc;
  let plane: Proc;
  let adminKey: string;

  beforeAll(async () => {
    const data = await tempDir('jarvis-e2e-');
    logDir = path.join(data, 'logs');
    dawgPort = await freePort();
    planePort = await freePort();
    planeUrl = `http://127.0.0.1:${planePort}`;
    dawg = start(
      'ai-dawg',
      'src/dawg/main.ts',
      baseEnv({ AI_DAWG_PORT: String(dawgPort), AI_DAWG_SERVICE_TOKEN: serviceToken, AI_DAWG_DATA_DIR: path.join(data, 'dawg'), JARVIS_PORT: String(planePort), JARVIS_LOG_DIR: logDir }),
    );
    planeEnv = baseEnv({
      JARVIS_LOG_DIR: logDir,
      JARVIS_PORT: String(planePort),
      JARVIS_AUTH_TOKEN: authToken,
      JARVIS_DATA_DIR: path.join(data, 'jarvis'),
      AI_DAWG_BACKEND_URL: `http://127.0.0.1:${dawgPort}`,
      AI_DAWG_SERVICE_TOKEN: serviceToken,
    });
    plane = start('control-plane', 'src/control-plane/main.ts', planeEnv);
    await Promise.all([waitForHealth(`http://127.0.0.1:${dawgPort}`, [dawg]), waitForHealth(planeUrl, [plane])]);
  }, 120_000);

  it('prints a bootstrap admin key once on stdout, and it works on /status', async () => {
    const keys = plane.output().match(KEY_PATTERN) ?? [];
    expect(keys).toHaveLength(1);
    expect(plane.stdout()).toContain(keys[0]);
    adminKey = keys[0]!;

    const status = await http('GET', `${planeUrl}/status`, { key: adminKey });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ service: 'jarvis-control-plane', storage: { database: 'pglite' }, dawg: { reachable: true } });
    expect(status.body.modules.map((m: { name: string }) => m.name)).toContain('testing');

    const anonymous = await http('GET', `${planeUrl}/status`);
    expect(anonymous.status).toBe(401);
    // The key went to the terminal only: no log line carries it.
    expect(plane.output().split(adminKey)).toHaveLength(2);
  });

  it('executes a DAWG action through the control plane', async () => {
    const res = await http('POST', `${planeUrl}/api/v1/execute`, { key: adminKey, body: HEALTH_CHECK });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ module: 'testing', action: 'health-check', result: { status: 'ok', modules: ['testing', 'music', 'creative', 'devops', 'analytics', 'engagement', 'marketing', 'automation'] } });
    expect(typeof res.body.durationMs).toBe('number');

    // The integration token works as well.
    const viaToken = await http('POST', `${planeUrl}/api/v1/execute`, { bearer: authToken, body: HEALTH_CHECK });
    expect(viaToken.status).toBe(200);
  });

  it('devops query-logs: the DAWG reads both processes\' log files and calls back to the control plane for the audit log', async () => {
    const res = await http('POST', `${planeUrl}/api/v1/execute`, { key: adminKey, body: { module: 'devops', action: 'query-logs', params: { query: 'listening', limit: 10 } } });
    expect(res.status).toBe(200);
    expect(res.body.result.sources).toMatchObject({ files: { status: 'ok' }, audit: { status: 'ok' } });
    const services = new Set(res.body.result.matches.map((m: { service: string }) => m.service));
    expect(services).toEqual(new Set(['control-plane', 'ai-dawg']));
    // The execute call above is in the audit log, read back through /internal/v1/audit.
    const audit = await http('POST', `${planeUrl}/api/v1/execute`, { key: adminKey, body: { module: 'devops', action: 'query-logs', params: { query: 'health-check|/api/v1/execute', services: ['audit'] } } });
    expect(audit.body.result.totals.matches).toBeGreaterThan(0);
  });

  it('answers 503 DAWG_UNAVAILABLE within 1 s and reports degraded health once the DAWG is gone', async () => {
    dawg.child.kill('SIGTERM');
    expect(await waitForExit(dawg, 10_000)).toEqual({ code: 0, signal: null });
    expect(await portClosed(dawgPort)).toBe(true);

    const res = await http('POST', `${planeUrl}/api/v1/execute`, { key: adminKey, body: HEALTH_CHECK });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DAWG_UNAVAILABLE');
    expect(res.ms).toBeLessThan(1_000);

    const health = await http('GET', `${planeUrl}/health/detailed`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', checks: { database: { status: 'ok' }, dawg: { status: 'down' } } });
    expect(health.ms).toBeLessThan(3_000);
  });

  it('stops on SIGINT with exit code 0 within a few seconds', async () => {
    const started = performance.now();
    plane.child.kill('SIGINT');
    expect(await waitForExit(plane, 10_000)).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await portClosed(planePort)).toBe(true);
    expect(plane.output()).toContain('control plane stopping');
  });

  it('prints no new key when restarted on the same data dir, and the first key still works', async () => {
    const again = start('control-plane (restart)', 'src/control-plane/main.ts', planeEnv);
    await waitForHealth(planeUrl, [again]);
    expect(again.output()).not.toMatch(KEY_PATTERN);
    expect(again.output()).not.toContain('Admin API key');
    expect(again.output()).not.toContain('creating the embedded database');

    const status = await http('GET', `${planeUrl}/status`, { key: adminKey });
    expect(status.status).toBe(200);
    expect(status.body.dawg.reachable).toBe(false);

    again.child.kill('SIGINT');
    expect(await waitForExit(again, 10_000)).toEqual({ code: 0, signal: null });
  });
});

describe('npm start launcher', () => {
  it('runs both services, and SIGINT stops both and exits 0', async () => {
    const dir = await tempDir('jarvis-e2e-launcher-');
    const dawgPort = await freePort();
    const planePort = await freePort();
    const planeUrl = `http://127.0.0.1:${planePort}`;
    const authToken = randomBytes(24).toString('hex');
    // No AI_DAWG_SERVICE_TOKEN, AI_DAWG_BACKEND_URL or AI_DAWG_DATA_DIR: the launcher derives them.
    // cwd is a scratch dir so a developer's ./.env is not loaded.
    const launcher = start(
      'launcher',
      'src/launcher.ts',
      baseEnv({
        JARVIS_PORT: String(planePort),
        AI_DAWG_PORT: String(dawgPort),
        JARVIS_DATA_DIR: path.join(dir, 'data'),
        JARVIS_AUTH_TOKEN: authToken,
      }),
      dir,
    );
    await Promise.all([waitForHealth(`http://127.0.0.1:${dawgPort}`, [launcher]), waitForHealth(planeUrl, [launcher])]);

    const health = await http('GET', `${planeUrl}/health/detailed`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok', backend: 'pglite' }, dawg: { status: 'ok' } } });

    // The per-launch service token reached both children.
    const res = await http('POST', `${planeUrl}/api/v1/execute`, { bearer: authToken, body: HEALTH_CHECK });
    expect(res.status).toBe(200);
    expect(launcher.stdout().match(KEY_PATTERN)).toHaveLength(1);
    // The first start says why it takes a while.
    expect(launcher.stdout()).toContain('creating the embedded database (first start');

    launcher.child.kill('SIGINT');
    expect(await waitForExit(launcher, 15_000)).toEqual({ code: 0, signal: null });
    expect(await portClosed(planePort)).toBe(true);
    expect(await portClosed(dawgPort)).toBe(true);
    expect(launcher.output()).not.toMatch(/exited unexpectedly/);
  }, 120_000);
});

describe('bootstrap key file', () => {
  it('with JARVIS_BOOTSTRAP_KEY_FILE writes the first admin key to a 0600 file and not to stdout', async () => {
    const dir = await tempDir('jarvis-e2e-keyfile-');
    const port = await freePort();
    const keyFile = path.join(dir, 'bootstrap-admin-key');
    const plane = start(
      'control-plane-keyfile',
      'src/control-plane/main.ts',
      baseEnv({
        JARVIS_PORT: String(port),
        JARVIS_DATA_DIR: dir,
        JARVIS_BOOTSTRAP_KEY_FILE: keyFile,
        AI_DAWG_SERVICE_TOKEN: randomBytes(24).toString('hex'),
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, [plane]);
    const deadline = Date.now() + 10_000;
    while (!plane.stdout().includes(keyFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(plane.stdout()).toContain(`Admin API key written to ${keyFile}`);
    expect(plane.output()).not.toMatch(KEY_PATTERN);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(key).toMatch(KEY_PATTERN);
    expect((await http('GET', `${url}/status`, { key })).status).toBe(200);
    plane.child.kill('SIGINT');
    expect(await waitForExit(plane, 15_000)).toEqual({ code: 0, signal: null });
  });
});

describe('start-up failures', () => {
  it('a service whose port is taken exits 1 naming the problem, and prints no key', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const dir = await tempDir('jarvis-e2e-port-');
    try {
      const plane = start(
        'control-plane-port-taken',
        'src/control-plane/main.ts',
        baseEnv({ JARVIS_PORT: String(port), JARVIS_DATA_DIR: dir, AI_DAWG_SERVICE_TOKEN: randomBytes(24).toString('hex') }),
      );
      expect(await waitForExit(plane, STARTUP_MS)).toEqual({ code: 1, signal: null });
      expect(plane.output()).toContain('EADDRINUSE');
      expect(plane.stdout()).not.toMatch(KEY_PATTERN);
    } finally {
      holder.close();
    }
  });

  it('a bad configuration stops start-up with one message naming every offending variable', async () => {
    const dawg = start('dawg-bad-config', 'src/dawg/main.ts', baseEnv({ AI_DAWG_PORT: 'x', AI_DAWG_SERVICE_TOKEN: 'short' }));
    expect(await waitForExit(dawg, STARTUP_MS)).toEqual({ code: 1, signal: null });
    expect(dawg.output()).toContain('Invalid configuration');
    expect(dawg.output()).toContain('AI_DAWG_PORT');
    expect(dawg.output()).toContain('AI_DAWG_SERVICE_TOKEN');
    expect(dawg.output()).not.toContain('short');
  });
});
