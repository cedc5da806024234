import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { listen, type Listening } from '../helpers/servers';

/**
 * The `jarvis` CLI as users run it: a child process (tsx src/cli/main.ts, and once through
 * bin/jarvis) talking HTTP to a real control plane running in this test process.
 */

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'src/cli/main.ts');
const SHIM = path.join(ROOT, 'bin/jarvis');
const KEY_PATTERN = /jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/g;

jest.setTimeout(60_000);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any JARVIS_* of the developer's shell, so only what a test sets counts. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JARVIS_')));
}

let plane: TestPlane;
let http: Listening;
let silent: Server;
const silentSockets = new Set<Socket>();
/** Requests the control plane received, to show that usage errors send nothing. */
let requests = 0;
/** Every run's output, to check that no run ever printed the admin key. */
const outputs: string[] = [];

/** Runs the CLI asynchronously: the control plane answering it lives on this event loop. */
function jarvis(args: string[], env: Record<string, string | undefined> = {}, command: string[] = [TSX, CLI]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), JARVIS_URL: http.url, JARVIS_API_KEY: plane.adminKey, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Bounded, but generous: on a loaded machine a tsx start-up alone can take seconds.
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  plane = await startTestPlane();
  http = await listen(plane.app);
  http.server.on('request', () => requests++);
  // Accepts connections and never answers: for the timeout case.
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await http?.close();
  await plane?.stop();
});

afterEach(() => {
  for (const text of outputs) expect(text).not.toContain(plane.adminKey);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('jarvis CLI', () => {
  it('prints help with exit 0, also through the bin/jarvis shim', async () => {
    const [direct, shim] = await Promise.all([jarvis(['--help']), jarvis(['keys', 'create', '--help'], {}, [SHIM])]);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('jarvis keys create --name NAME');
    expect(direct.stdout).toContain('jarvis audit verify');
    expect(direct.stdout).toContain('JARVIS_API_KEY');
    expect(shim.code).toBe(0);
    expect(shim.stdout).toContain('--scope SCOPE');
  });

  it('creates a key, shows it once, and the key works', async () => {
    const run = await jarvis(['keys', 'create', '--name', 'ci-bot', '--scope', 'devops']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const keys = run.stdout.match(KEY_PATTERN) ?? [];
    expect(keys).toHaveLength(1);
    expect(run.stdout).toContain('Created API key "ci-bot"');
    expect(run.stdout).toMatch(/only time the key is shown/);

    const status = await request(plane.app).get('/status').set('X-API-Key', keys[0]!);
    expect(status.status).toBe(200);
    // devops scope, not admin: it cannot manage keys.
    const admin = await request(plane.app).get('/api/v1/admin/api-keys').set('X-API-Key', keys[0]!);
    expect(admin.status).toBe(403);
  });

  it('creates with --json, deduplicating and comma-separated scopes', async () => {
    const run = await jarvis(['keys', 'create', '--name', 'ops', '--scope', 'admin,devops', '--scope', 'admin', '--json']);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as { id: string; name: string; scopes: string[]; key: string };
    expect(created).toMatchObject({ name: 'ops', scopes: ['admin', 'devops'], revokedAt: null });
    expect(created.key).toMatch(new RegExp(`^jrv_${created.id}_`));
    const list = await request(plane.app).get('/api/v1/admin/api-keys').set('X-API-Key', created.key);
    expect(list.status).toBe(200);
  });

  it('lists keys without ever showing a secret', async () => {
    const table = await jarvis(['keys', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+CREATED\s+LAST USED$/m);
    expect(table.stdout).toContain('ci-bot');
    expect(table.stdout).toContain('test-admin');
    expect(table.stdout).not.toMatch(/jrv_/);

    const json = await jarvis(['keys', 'list', '--json']);
    expect(json.code).toBe(0);
    const keys = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(keys.map((k) => k.name)).toEqual(expect.arrayContaining(['test-admin', 'test-user', 'ci-bot', 'ops']));
    for (const key of keys) expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes']);
    expect(json.stdout).not.toMatch(/jrv_/);
  });

  it('revokes a key: it then gets 401, and only --all lists it', async () => {
    const created = await plane.apiKeys.create('to-revoke', []);
    expect((await request(plane.app).get('/status').set('X-API-Key', created.key)).status).toBe(200);

    const run = await jarvis(['keys', 'revoke', created.id]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Revoked API key ${created.id} ("to-revoke")`);

    const after = await request(plane.app).get('/status').set('X-API-Key', created.key);
    expect(after.status).toBe(401);

    const [active, all] = await Promise.all([jarvis(['keys', 'list']), jarvis(['keys', 'list', '--all'])]);
    expect(active.stdout).not.toContain(created.id);
    expect(all.stdout).toMatch(/REVOKED/);
    const line = all.stdout.split('\n').find((l) => l.startsWith(created.id));
    expect(line).toContain('to-revoke');
    // REVOKED is the last column; active keys show "-" there.
    expect(line).toMatch(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  it('reports an unknown key id with exit 1 and the server message', async () => {
    const run = await jarvis(['keys', 'revoke', '0123456789abcdef']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('404 NOT_FOUND: No API key with id "0123456789abcdef"');
  });

  it('audit verify: exit 0 when the chain is intact, 1 naming the first broken entry', async () => {
    const entry = await plane.audit.append({ type: 'infra.change', actor: 'cli-test', outcome: 'applied' });
    const [intact, json] = await Promise.all([jarvis(['audit', 'verify']), jarvis(['audit', 'verify', '--json'])]);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    expect(intact.stdout).toMatch(/^Audit log intact: \d+ entries verified\.\n$/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, checked: expect.any(Number) });

    // Altered behind the trigger's back, as someone with database access could; put back afterwards.
    const { db } = plane.testDb;
    const setOutcome = async (outcome: string) => {
      await db.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await db.query('UPDATE audit_log SET outcome = $1 WHERE seq = $2', [outcome, entry.seq]);
      await db.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    };
    await setOutcome('reverted');
    try {
      const broken = await jarvis(['audit', 'verify']);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`first broken entry: seq ${entry.seq} (id ${entry.id})`);
      expect(broken.stdout).toContain('reason: content does not match its hash: the entry was edited');
    } finally {
      await setOutcome('applied');
    }
    expect((await jarvis(['audit', 'verify'])).code).toBe(0);
  });

  it('exits 2 with a message on bad usage, sending nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /^jarvis: missing command/],
      [['keys'], /Missing subcommand/],
      [['keys', 'rotate'], /Unknown subcommand "keys rotate"/],
      [['keys', 'create'], /Missing --name NAME/],
      [['keys', 'create', '--name', '   '], /--name must not be empty/],
      [['keys', 'create', '--name', 'x', '--scope', 'root'], /--scope must be one of: admin, devops/],
      [['keys', 'list', '--bogus'], /Unknown option '--bogus'/],
      [['keys', 'list', '--name', 'x'], /--name is not an option of `keys list`/],
      [['keys', 'revoke'], /Missing the id/],
      [['keys', 'revoke', 'jrv_0123456789abcdef_secret'], /ID must be a 16-character key id/],
      [['keys', 'list', '--url', 'ftp://example.com'], /--url must be an http/],
      [['keys', 'list', '--timeout', 'soon'], /--timeout must be a number/],
      [['audit'], /Missing subcommand: verify/],
      [['audit', 'check'], /Unknown subcommand "audit check": use verify/],
      [['audit', 'verify', '--all'], /--all is not an option of `audit verify`/],
    ];
    // Not a single request may reach the server for any of them.
    const requestsBefore = requests;
    // A few at a time: a dozen tsx start-ups at once starve a small, busy machine.
    const runs: Run[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      runs.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => jarvis(args)))));
    }
    const got = runs.map((run, i) => ({ args: cases[i]![0], code: run.code, stdout: run.stdout, stderr: run.stderr.split('\n')[0] }));
    const want = cases.map(([args, message]) => ({ args, code: 2, stdout: '', stderr: expect.stringMatching(message) }));
    expect(got).toEqual(want);
    expect(requests).toBe(requestsBefore);
  }, 120_000);

  it('exits 2 when no admin key is configured', async () => {
    const run = await jarvis(['keys', 'list'], { JARVIS_API_KEY: undefined });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No admin API key: set JARVIS_API_KEY');
  });

  it('exits 1 with the 401 message on a wrong admin key, without printing it', async () => {
    const wrong = 'jrv_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const run = await jarvis(['keys', 'list'], { JARVIS_API_KEY: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('401 UNAUTHORIZED: Missing or invalid credentials');
    expect(run.stderr).toContain('check JARVIS_API_KEY');
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it('exits 1 with the 403 message on a key without the admin scope', async () => {
    const run = await jarvis(['keys', 'create', '--name', 'nope'], { JARVIS_API_KEY: plane.userKey });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('403 FORBIDDEN');
    expect(run.stderr).not.toContain(plane.userKey);
  });

  it('exits 1 with a clear message when the server is unreachable', async () => {
    const port = await freePort();
    const run = await jarvis(['keys', 'list'], { JARVIS_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach the control plane at http://127.0.0.1:${port} (ECONNREFUSED): is it running?`);
  });

  it('exits 1 when the server does not answer within --timeout', async () => {
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    const run = await jarvis(['keys', 'list', '--timeout', '300'], { JARVIS_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`No answer from the control plane at http://127.0.0.1:${port} within 300 ms`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('reports the server refusing to revoke the last active admin key, then revokes it once another exists', async () => {
    const ownId = /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1]!;
    for (const key of await plane.apiKeys.list()) {
      if (key.id !== ownId && key.scopes.includes('admin')) await plane.apiKeys.revoke(key.id);
    }

    const refused = await jarvis(['keys', 'revoke', ownId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409 CONFLICT: This is the last active admin key');
    expect((await request(plane.app).get('/status').set('X-API-Key', plane.adminKey)).status).toBe(200);

    await plane.apiKeys.create('successor', ['admin']);
    const revoked = await jarvis(['keys', 'revoke', ownId]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('Note: this was the key in JARVIS_API_KEY; it no longer works.');
    expect((await request(plane.app).get('/status').set('X-API-Key', plane.adminKey)).status).toBe(401);
  });
});
