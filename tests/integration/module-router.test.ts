import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../src/common/errors';
import { ModuleRouter } from '../../src/control-plane/dawg-client';
import { createProbeModule, type ProbeState } from '../helpers/probe-module';
import { silentLogger } from '../helpers/logger';
import { freePort, SERVICE_TOKEN, startDawg, testConfig, type TestDawg } from '../helpers/servers';

function routerFor(url: string, env: Record<string, string> = {}): ModuleRouter {
  return new ModuleRouter(testConfig({ AI_DAWG_BACKEND_URL: url, ...env }).dawg, silentLogger());
}


/** python3's listen(0) never accepts; two connections fill its queue, so later connects hang. */
async function startBlackhole(): Promise<{ port: number; close(): void }> {
  const child = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)']);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('error', reject);
  });
  const fillers = [0, 1, 2].map(() => net.connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((r) => setTimeout(r, 100));
  return {
    port,
    close() {
      fillers.forEach((s) => s.destroy());
      child.kill('SIGKILL');
    },
  };
}

const health = { module: 'testing', action: 'health-check', params: {} };
const routers: ModuleRouter[] = [];
const track = (r: ModuleRouter) => (routers.push(r), r);

afterAll(() => routers.forEach((r) => r.close()));

it('answers 503 DAWG_UNAVAILABLE within 1 s when nothing listens', async () => {
  const router = track(routerFor(`http://127.0.0.1:${await freePort()}`));
  const started = Date.now();
  await expect(router.execute(health)).rejects.toMatchObject({ status: 503, code: 'DAWG_UNAVAILABLE' });
  expect(Date.now() - started).toBeLessThan(1_000);
});

it('gives up on a connection that never completes after the connect timeout', async () => {
  // A loopback listener that never accepts, its queue filled: further SYNs are dropped and a
  // connect hangs, as it would towards a host that has gone away.
  const blackhole = await startBlackhole();
  try {
    const router = track(routerFor(`http://127.0.0.1:${blackhole.port}`, { AI_DAWG_CONNECT_TIMEOUT_MS: '150', AI_DAWG_RETRIES: '1' }));
    const started = Date.now();
    await expect(router.execute(health)).rejects.toMatchObject({ status: 503, code: 'DAWG_UNAVAILABLE', details: { reason: 'ECONNTIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(1_000);
  } finally {
    blackhole.close();
  }
});

it('retries a refused connection, so a DAWG that comes up a moment later is reached', async () => {
  const port = await freePort();
  const router = track(routerFor(`http://127.0.0.1:${port}`, { AI_DAWG_RETRIES: '5' }));
  let dawg: TestDawg | undefined;
  const late = new Promise<void>((resolve) =>
    setTimeout(async () => {
      dawg = await startDawg({ port });
      resolve();
    }, 120),
  );
  try {
    const result = await router.execute(health);
    expect(result.result).toMatchObject({ status: 'ok' });
  } finally {
    await late;
    await dawg?.close();
  }
});

it('opens the circuit after repeated failures, fails fast, then closes after a half-open probe succeeds', async () => {
  const port = await freePort();
  const router = track(routerFor(`http://127.0.0.1:${port}`, { AI_DAWG_RETRIES: '0', AI_DAWG_BREAKER_RESET_MS: '300' }));
  for (let i = 0; i < 3; i++) await expect(router.execute(health)).rejects.toMatchObject({ status: 503 });
  expect(router.breakerState).toBe('open');
  await expect(router.execute(health)).rejects.toMatchObject({ status: 503, details: { breaker: 'open' } });

  const dawg = await startDawg({ port });
  try {
    await new Promise((r) => setTimeout(r, 350));
    expect(router.breakerState).toBe('half-open');
    await expect(router.execute(health)).resolves.toMatchObject({ module: 'testing' });
    expect(router.breakerState).toBe('closed');
  } finally {
    await dawg.close();
  }
});

it('reads the manifest for declared timeouts past the circuit: its failures do not open it', async () => {
  const router = track(routerFor(`http://127.0.0.1:${await freePort()}`, { AI_DAWG_RETRIES: '0' }));
  // Each first call also asks for the manifest in the background; only the calls count.
  for (let i = 0; i < 2; i++) await expect(router.execute(health)).rejects.toMatchObject({ status: 503 });
  await new Promise((r) => setTimeout(r, 100));
  expect(router.breakerState).toBe('closed');
  await expect(router.execute(health)).rejects.toMatchObject({ status: 503 });
  expect(router.breakerState).toBe('open');
});

describe('against a running DAWG', () => {
  let dawg: TestDawg;
  const probe: ProbeState = { slowCalls: 0, aborted: 0 };

  beforeAll(async () => {
    dawg = await startDawg();
    dawg.registry.register(createProbeModule(probe));
  });
  afterAll(() => dawg.close());

  it('does not count 4xx answers as failures of the DAWG', async () => {
    const router = track(routerFor(dawg.url));
    for (let i = 0; i < 6; i++) {
      await expect(router.execute({ module: 'nope', action: 'x', params: {} })).rejects.toMatchObject({ status: 404 });
    }
    expect(router.breakerState).toBe('closed');
  });

  it("passes a module's own 503 through with its code, without opening the circuit", async () => {
    const router = track(routerFor(dawg.url));
    for (let i = 0; i < 5; i++) {
      await expect(router.execute({ module: 'probe', action: 'unavailable', params: {} })).rejects.toMatchObject({
        status: 503,
        code: 'PROVIDER_UNAVAILABLE',
        details: { provider: 'fake' },
      });
    }
    expect(router.breakerState).toBe('closed');
  });

  it('maps a service-token mismatch to 502, not to the caller\'s 401', async () => {
    const router = track(new ModuleRouter({ ...testConfig({ AI_DAWG_BACKEND_URL: dawg.url }).dawg, serviceToken: 'z'.repeat(40) }, silentLogger()));
    const err = await router.execute(health).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 502, code: 'DAWG_AUTH_FAILED' });
    expect(SERVICE_TOKEN).not.toBe('z'.repeat(40));
  });

  it('cancels the DAWG action when the caller aborts', async () => {
    const router = track(routerFor(dawg.url));
    const controller = new AbortController();
    const call = router.execute({ module: 'probe', action: 'slow', params: { ms: 5_000 } }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 150));
    controller.abort();
    await expect(call).rejects.toMatchObject({ status: 499 });
    const deadline = Date.now() + 2_000;
    while (probe.aborted === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(probe.aborted).toBe(1);
  });

  it('waits as long as an action declares in the manifest, longer than AI_DAWG_TIMEOUT_MS; others keep the default', async () => {
    const router = track(routerFor(dawg.url, { AI_DAWG_TIMEOUT_MS: '300' }));
    const view = await router.modules();
    expect(view.modules.find((m) => m.name === 'probe')!.actions.find((a) => a.name === 'slow-declared')).toMatchObject({ timeoutMs: 3_000 });
    expect(view.modules.find((m) => m.name === 'probe')!.actions.find((a) => a.name === 'slow')).not.toHaveProperty('timeoutMs');
    await expect(router.execute({ module: 'probe', action: 'slow', params: { ms: 800 } })).rejects.toMatchObject({ status: 504, code: 'DAWG_TIMEOUT' });
    await expect(router.execute({ module: 'probe', action: 'slow-declared', params: { ms: 800 } })).resolves.toMatchObject({ result: { waitedMs: 800 } });
    // A caller's own limit wins (an agent capability's), and the declared one still bounds the call.
    await expect(router.execute({ module: 'probe', action: 'slow-declared', params: { ms: 800 } }, { timeoutMs: 300 })).rejects.toMatchObject({ status: 504 });
    await expect(router.execute({ module: 'probe', action: 'slow-declared', params: { ms: 4_000 } })).rejects.toMatchObject({ status: 504, message: expect.stringContaining('3000 ms') });

    // A router that never read the manifest: the first call has the default and asks for it in the background.
    const fresh = track(routerFor(dawg.url, { AI_DAWG_TIMEOUT_MS: '300' }));
    await expect(fresh.execute({ module: 'probe', action: 'slow-declared', params: { ms: 800 } })).rejects.toMatchObject({ status: 504 });
    await expect(fresh.execute({ module: 'probe', action: 'slow-declared', params: { ms: 800 } })).resolves.toMatchObject({ result: { waitedMs: 800 } });
  });

  it('lists modules from the manifest and reports the DAWG unreachable when it is', async () => {
    const router = track(routerFor(dawg.url));
    const view = await router.modules();
    expect(view.reachable).toBe(true);
    expect(view.modules.map((m) => m.name)).toEqual(['testing', 'probe']);
    const testing = view.modules[0]!;
    expect(testing.actions.find((a) => a.name === 'validate-system')!.paramsSchema).toMatchObject({ type: 'object' });

    const down = track(routerFor(`http://127.0.0.1:${await freePort()}`, { AI_DAWG_RETRIES: '0' }));
    expect(await down.modules()).toEqual({ reachable: false, modules: [] });
    expect((await down.probe()).status).toBe('down');
  });
});

describe('saveFile', () => {
  /** A DAWG stand-in for GET /api/v1/files/:id: the whole body, a stall or a cut after the first half. */
  const body = Buffer.alloc(3 * 1024 * 1024, 7);
  body.write('RIFF', 0);
  let server: http.Server;
  let url: string;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const id = req.url!.split('/').pop()!.split('?')[0];
      if (id === 'missing') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'FILE_NOT_FOUND', message: 'No file missing' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': String(body.length) });
      if (id === 'whole') res.end(body);
      else if (id === 'stalls') res.write(body.subarray(0, body.length / 2));
      else if (id === 'cut') res.write(body.subarray(0, body.length / 2), () => setTimeout(() => req.socket.destroy(), 20));
    });
    server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'save-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file as it arrives and answers its size and SHA-256', async () => {
    const router = track(routerFor(url));
    const dest = path.join(dir, 'whole.wav');
    expect(await router.saveFile('whole', dest)).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('bounds the whole copy by the call timeout: a DAWG that stops sending is a 504', async () => {
    const router = track(routerFor(url, { AI_DAWG_TIMEOUT_MS: '400' }));
    const started = Date.now();
    await expect(router.saveFile('stalls', path.join(dir, 'stalls.wav'))).rejects.toMatchObject({ status: 504, code: 'DAWG_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a body cut short is 503 DAWG_UNAVAILABLE; a caller that leaves ends the copy with 499', async () => {
    const router = track(routerFor(url, { AI_DAWG_RETRIES: '0' }));
    await expect(router.saveFile('cut', path.join(dir, 'cut.wav'))).rejects.toMatchObject({ status: 503, code: 'DAWG_UNAVAILABLE' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await expect(router.saveFile('stalls', path.join(dir, 'left.wav'), { signal: controller.signal })).rejects.toMatchObject({ status: 499 });
  });

  it('passes the DAWG’s 404 through, and does not overwrite an existing file (the disk’s error as it is)', async () => {
    const router = track(routerFor(url));
    await expect(router.saveFile('missing', path.join(dir, 'missing.wav'))).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND' });
    const taken = path.join(dir, 'taken.wav');
    writeFileSync(taken, 'mine');
    await expect(router.saveFile('whole', taken)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(taken, 'utf8')).toBe('mine');
  });
});
