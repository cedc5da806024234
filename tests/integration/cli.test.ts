import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { runCli } from '../../src/cli/run';
import { createDefaultAgents } from '../../src/control-plane/agents';
import { waitFor, waitForTask } from '../helpers/agent-system';
import { insertExpiringApproval } from '../helpers/approvals';
import { tamper } from '../helpers/audit';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';
import { freePort, listen, type Listening } from '../helpers/servers';

/**
 * The `jarvis` CLI talking HTTP to a real control plane running in this test process. Most
 * runs go through `runCli`, the function src/cli/main.ts calls, in this process (a tsx
 * start-up per run cost over a minute of this suite); the runs where the process itself
 * matters are real child processes (`jarvisProcess`, `startJarvis`: node --import tsx src/cli/main.ts, and
 * once bin/jarvis): exit statuses, stdout/stderr of `--wait`, Ctrl-C, a usage error, the shim. The plane
 * runs tasks (the Probe test agent needs no DAWG), holds `free` for approval, and routes AI
 * calls to a fake OpenAI server so that costs are real ledger entries.
 */

const ROOT = path.resolve(__dirname, '../..');
/** node with tsx's loader, as bin/jarvis and `npm run jarvis` run the CLI. */
const NODE_TSX = [process.execPath, '--import', path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')];
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

interface Started {
  child: ChildProcessWithoutNullStreams;
  /** What it printed so far. */
  output: { stdout: string; stderr: string };
  done: Promise<Run>;
}

/** Starts the CLI without waiting for it, for tests that signal it while it runs. */
function startJarvis(args: string[], env: Record<string, string | undefined> = {}, command: string[] = [...NODE_TSX, CLI]): Started {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: ROOT,
    env: { ...cleanEnv(), JARVIS_URL: http.url, JARVIS_API_KEY: plane.adminKey, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const done = new Promise<Run>((resolve, reject) => {
    // Bounded, but generous: on a loaded machine a tsx start-up alone can take seconds.
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      outputs.push(output.stdout, output.stderr);
      resolve({ code, ...output });
    });
  });
  return { child, output, done };
}

/** Runs the CLI as a child process, asynchronously: the control plane answering it lives on this event loop. */
function jarvisProcess(args: string[], env: Record<string, string | undefined> = {}, command: string[] = [...NODE_TSX, CLI]): Promise<Run> {
  return startJarvis(args, env, command).done;
}

/** The CLI's own entry (what main.ts runs) in this process, with the same environment as `jarvisProcess`. */
async function jarvis(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const code = await runCli(args, {
    env: { ...cleanEnv(), JARVIS_URL: http.url, JARVIS_API_KEY: plane.adminKey, ...env },
    stdout: (text) => (output.stdout += text),
    stderr: (text) => (output.stderr += text),
  });
  outputs.push(output.stdout, output.stderr);
  return { code, ...output };
}

let policyDir: string;
let openai: FakeProvider;

beforeAll(async () => {
  policyDir = mkdtempSync(path.join(os.tmpdir(), 'cli-fw-'));
  const policyFile = path.join(policyDir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      version: 1,
      path: ['/usr/bin', '/bin'],
      defaults: { allowedDirectories: [policyDir] },
      rules: { free: { description: 'memory', args: ['-m'], requireApproval: true } },
    }),
  );
  openai = await startFakeProvider('openai');
  plane = await startTestPlane({
    runTasks: true,
    agents: [createProbeAgent(new ProbeLog()), ...createDefaultAgents()],
    env: {
      TERMINAL_FIREWALL_POLICY_FILE: policyFile,
      OPENAI_API_KEY: 'sk-test-openai-0123456789abcdef',
      OPENAI_BASE_URL: openai.url,
      // The fake OpenAI server's embeddings are toys: memories use the offline embedder.
      MEMORY_EMBEDDING_MODEL: 'offline-embed',
      AGENT_QUEUE_POLL_MS: '200',
      AGENT_HEARTBEAT_MS: '200',
      RATE_LIMIT_DEFAULT_MAX: '100000',
    },
  });
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
  await openai?.close();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

afterEach(() => {
  for (const text of outputs) expect(text).not.toContain(plane.adminKey);
});


const TASK_ID = /tsk_[0-9a-f-]{36}/;

/** Queues a task for the Probe agent directly, as another client would. */
async function queueProbe(taskType: string, payload: Record<string, unknown>): Promise<string> {
  const res = await request(plane.app).post(`/api/v1/agents/Probe/tasks`).set('X-API-Key', plane.userKey).send({ taskType, payload });
  expect(res.status).toBe(202);
  return res.body.taskId as string;
}

/** Has the firewall hold `free -m` for approval, asked by `key`. */
async function heldCommand(key: string): Promise<string> {
  const res = await request(plane.app).post('/api/v1/devops/exec').set('X-API-Key', key).send({ command: 'free', args: ['-m'] });
  expect(res.status).toBe(202);
  return res.body.approval.id as string;
}

describe('jarvis CLI: agents and tasks', () => {
  it('lists the agents with their capabilities, and their task counts', async () => {
    const [list, json, stats] = await Promise.all([jarvis(['agents']), jarvis(['agents', 'list', '--json']), jarvis(['agents', 'stats'])]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^Probe: Test agent$/m);
    expect(list.stdout).toMatch(/^QualityAssurance: /m);
    expect(list.stdout).toMatch(/^ {2}system-health-check\s+testing\s/m);
    expect(json.code).toBe(0);
    const agents = JSON.parse(json.stdout) as Array<{ name: string; capabilities: Array<{ name: string }> }>;
    expect(agents.map((a) => a.name)).toEqual(expect.arrayContaining(['Probe', 'MixingEngineer', 'QualityAssurance']));
    expect(agents.find((a) => a.name === 'Probe')!.capabilities.map((c) => c.name)).toEqual(expect.arrayContaining(['noop', 'sleep', 'fail']));
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^AGENT\s+TOTAL\s+WAITING\s+QUEUED\s+RUNNING\s+COMPLETED\s+FAILED\s+CANCELLED$/m);
    expect(stats.stdout).toMatch(/^Probe\s+\d+/m);
  });

  it('submit without --wait prints the task id and job URL; the task runs', async () => {
    const run = await jarvis(['task', 'submit', 'Probe', 'noop', '--payload', '{"label":"cli"}', '--priority', 'high']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const id = TASK_ID.exec(run.stdout)?.[0];
    expect(id).toBeDefined();
    expect(run.stdout).toContain(`Task ${id} queued for Probe (noop).`);
    expect(run.stdout).toContain(`Job: ${http.url}/integrations/chatgpt/jobs/${id}`);
    const task = await waitForTask(plane.agents!, id!);
    expect(task).toMatchObject({ status: 'completed', priority: 'high', result: { label: 'cli' } });

    const [get, getJson] = await Promise.all([jarvis(['task', 'get', id!]), jarvis(['task', 'get', id!, '--json'])]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(`Task ${id}: Probe noop, priority high`);
    expect(get.stdout).toMatch(/status: +completed, attempt 1 of \d/);
    expect(get.stdout).toContain('"label": "cli"');
    expect(JSON.parse(getJson.stdout)).toMatchObject({ id, status: 'completed', result: { label: 'cli' }, events: expect.any(Array) });
  });

  it('submit --wait follows the task to completion: status lines on stderr, the result on stdout, exit 0', async () => {
    const run = await jarvisProcess(['task', 'submit', 'Probe', 'sleep', '--payload', '{"ms":1500,"label":"w"}', '--wait']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ slept: 1500, label: 'w' });
    // stderr is a pipe here, so status lines rather than a bar.
    expect(run.stderr).toMatch(new RegExp(`^Task ${TASK_ID.source} queued for Probe \\(sleep\\); job: http://`, 'm'));
    expect(run.stderr).toMatch(/^Probe sleep: running 50% \(half way\)$/m);
    expect(run.stderr).toMatch(/^Probe sleep: completed 100%$/m);
    expect(run.stderr).not.toContain('\u001b[');
  });

  it('submit --wait --json prints the finished task', async () => {
    const run = await jarvis(['task', 'submit', 'Probe', 'echo', '--payload', '{"value":{"n":7}}', '--wait', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ agent: 'Probe', taskType: 'echo', status: 'completed', result: { value: { n: 7 } } });
  });

  it('submit --wait exits 1 with the task error when it fails', async () => {
    const run = await jarvis(['task', 'submit', 'Probe', 'fail', '--wait']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`jarvis: Task ${TASK_ID.source} failed after 1 attempt\\(s\\): VALIDATION_FAILED: the probe refuses`));
  });

  it('reports what the server refuses: unknown agent, bad payload', async () => {
    const [agent, payload] = await Promise.all([
      jarvis(['task', 'submit', 'Nobody', 'noop']),
      jarvis(['task', 'submit', 'Probe', 'sleep', '--payload', '{"ms":"soon"}']),
    ]);
    expect(agent.code).toBe(1);
    expect(agent.stderr).toContain('404 AGENT_NOT_FOUND');
    expect(payload.code).toBe(1);
    expect(payload.stderr).toMatch(/400 VALIDATION_FAILED: .*ms/);
  });

  it('task cancel: a running task ends cancelled, wait exits 1; cancelling again is a 409', async () => {
    const id = await queueProbe('sleep', { ms: 20_000 });
    await waitForTask(plane.agents!, id, 'running');
    const waiting = startJarvis(['task', 'get', id, '--wait']);
    await waitFor(async () => /running/.test(waiting.output.stderr), 30_000, 'the wait to start');
    const cancel = await jarvis(['task', 'cancel', id]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`Cancel requested: task ${id} is running|Cancelled task ${id}`));
    const waited = await waiting.done;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`jarvis: Task ${id} was cancelled`);
    const again = await jarvis(['task', 'cancel', 'Probe', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 CONFLICT');
  });

  it('Ctrl-C stops waiting and leaves the task running (exit 130)', async () => {
    const started = startJarvis(['task', 'submit', 'Probe', 'sleep', '--payload', '{"ms":4000}', '--wait']);
    await waitFor(async () => /Probe sleep: running/.test(started.output.stderr), 30_000, 'the task to run');
    started.child.kill('SIGINT');
    const run = await started.done;
    expect(run.code).toBe(130);
    const id = TASK_ID.exec(run.stderr)![0];
    expect(run.stderr).toContain(`Interrupted: stopped waiting. Task ${id} was not cancelled and goes on (running).`);
    expect(run.stderr).toContain(`jarvis task get ${id} --wait`);
    expect(await waitForTask(plane.agents!, id, undefined, 15_000)).toMatchObject({ status: 'completed' });
  });

  it('Ctrl-C with --cancel-on-interrupt cancels the task', async () => {
    const started = startJarvis(['task', 'submit', 'Probe', 'sleep', '--payload', '{"ms":20000}', '--wait', '--cancel-on-interrupt']);
    await waitFor(async () => /Probe sleep: running/.test(started.output.stderr), 30_000, 'the task to run');
    started.child.kill('SIGINT');
    const run = await started.done;
    expect(run.code).toBe(130);
    const id = TASK_ID.exec(run.stderr)![0];
    expect(run.stderr).toMatch(/Interrupted: (Cancel requested|Cancelled task)/);
    expect(await waitForTask(plane.agents!, id, undefined, 15_000)).toMatchObject({ status: 'cancelled' });
  });

  it('exits 1 with the 401 message and the JARVIS_API_KEY hint on a wrong key', async () => {
    const wrong = 'jrv_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const run = await jarvis(['task', 'submit', 'Probe', 'noop', '--wait'], { JARVIS_API_KEY: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('401 UNAUTHORIZED: Missing or invalid credentials (check JARVIS_API_KEY');
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });
});

describe('jarvis CLI: approvals, costs and memory', () => {
  it('approvals: lists a held command, approves it (it runs) and denies another with a reason', async () => {
    const asker = await plane.apiKeys.create('asker', ['devops']);
    const toApprove = await heldCommand(asker.key);
    const toDeny = await heldCommand(asker.key);

    const list = await jarvis(['approvals', 'list', '--status', 'pending']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${toApprove}\\s+pending\\s+free -m\\s+${asker.id}\\s`, 'm'));
    expect(list.stdout).toContain(toDeny);

    const approved = await jarvis(['approvals', 'approve', toApprove, '--reason', 'memory check for the release']);
    expect(approved).toMatchObject({ code: 0, stderr: '' });
    expect(approved.stdout).toContain(`Approved ${toApprove}: free -m (requested by ${asker.id})`);
    await waitFor(async () => (await plane.firewall!.approvals.get(toApprove))?.status === 'finished', 10_000, 'the approved command to finish');
    const shown = await jarvis(['approvals', 'get', toApprove, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'finished', decisionNote: 'memory check for the release', result: { exitCode: 0 } });

    const denied = await jarvis(['approvals', 'deny', toDeny, '--reason', 'not during the freeze']);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain(`Denied ${toDeny}: free -m`);
    expect(await plane.firewall!.approvals.get(toDeny)).toMatchObject({ status: 'denied', decisionNote: 'not during the freeze' });

    const again = await jarvis(['approvals', 'approve', toDeny]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/jarvis: 409 /);
  });

  it('approvals: the key that asked cannot decide (403), a devops-only key cannot either', async () => {
    const own = await heldCommand(plane.adminKey);
    const self = await jarvis(['approvals', 'approve', own]);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/jarvis: 403 /);
    const devops = await plane.apiKeys.create('devops-only', ['devops']);
    const scoped = await jarvis(['approvals', 'deny', own, '--reason', 'no'], { JARVIS_API_KEY: devops.key });
    expect(scoped.code).toBe(1);
    expect(scoped.stderr).toContain('403 FORBIDDEN');
    expect(scoped.stderr).toContain('(JARVIS_API_KEY must be an API key with the admin scope)');
    expect(scoped.stderr).not.toContain(devops.key);
  });

  it('costs: the ledger after an AI call, and the budgets', async () => {
    const chat = await request(plane.app).post('/api/v1/ai/chat').set('X-API-Key', plane.userKey).send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.status).toBe(200);
    const [table, json] = await Promise.all([jarvis(['costs', '--by', 'model']), jarvis(['costs', '--by', 'caller', '--json'])]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^MODEL\s+CALLS\s+FAILED\s+IN TOKENS\s+OUT TOKENS\s+COST\s+AVG LATENCY$/m);
    expect(table.stdout).toMatch(/^gpt-4o-mini\s+1\s+0\s+11\s+7\s+\$0\.\d+\s+\d+ ms$/m);
    expect(table.stdout).toMatch(/^global\s/m);
    const body = JSON.parse(json.stdout) as { costs: { groupBy: string; total: { calls: number; costUsd: number } }; budget: { scopes: Array<{ scope: string }> } };
    expect(body.costs).toMatchObject({ groupBy: 'caller', total: { calls: 1 } });
    expect(body.costs.total.costUsd).toBeGreaterThan(0);
    expect(body.budget.scopes.map((b) => b.scope)).toContain('global');

    const user = await jarvis(['costs'], { JARVIS_API_KEY: plane.userKey });
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('403 FORBIDDEN');
  });

  it('memory: remember, then recall finds it', async () => {
    const remembered = await jarvis(['memory', 'remember', 'Master Neon Dreams to -14 LUFS for Spotify', '--type', 'preference']);
    expect(remembered).toMatchObject({ code: 0, stderr: '' });
    expect(remembered.stdout).toMatch(/^Remembered as \S+ \(preference, user [a-f0-9]{16}\)\.$/m);
    const [human, json] = await Promise.all([jarvis(['memory', 'recall', 'how', 'loud', 'for', 'spotify', '--k', '3']), jarvis(['memory', 'recall', 'spotify loudness', '--json'])]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^1\. \[preference\] Master Neon Dreams to -14 LUFS for Spotify$/m);
    const hits = JSON.parse(json.stdout) as Array<{ content: string; score: number }>;
    expect(hits[0]).toMatchObject({ content: 'Master Neon Dreams to -14 LUFS for Spotify', score: expect.any(Number) });
    // Another user's memories are not the caller's.
    const other = await jarvis(['memory', 'recall', 'spotify', '--json'], { JARVIS_API_KEY: plane.userKey });
    expect(JSON.parse(other.stdout)).toEqual([]);
  });
});

describe('jarvis CLI', () => {
  it('prints help with exit 0, also through the bin/jarvis shim', async () => {
    const [direct, shim] = await Promise.all([jarvis(['--help']), jarvisProcess(['keys', 'create', '--help'], {}, [SHIM])]);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('jarvis keys create --name NAME');
    expect(direct.stdout).toContain('jarvis audit verify');
    expect(direct.stdout).toContain('JARVIS_API_KEY');
    expect(shim.code).toBe(0);
    expect(shim.stdout).toContain('--scope SCOPE');
  });

  it('creates a key, shows it once, and the key works', async () => {
    const run = await jarvisProcess(['keys', 'create', '--name', 'ci-bot', '--scope', 'devops']);
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

  it('suggestions test email|webhook: one test message now, what the receiver said; 409 for a channel not configured', async () => {
    const mails: string[][] = [];
    const smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        stream.resume().on('end', () => {
          mails.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    const mailing = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_EMAIL_TO: 'ops@example.com', SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'jarvis@example.com' } });
    const mailingHttp = await listen(mailing.app);
    const env = { JARVIS_URL: mailingHttp.url, JARVIS_API_KEY: mailing.adminKey };
    try {
      const ok = await jarvis(['suggestions', 'test', 'email'], env);
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(ok.stdout).toMatch(new RegExp(`^The SMTP server at 127\\.0\\.0\\.1:${port} took the test message for ops@example\\.com \\(\\d+ ms\\)\\.\\n$`));
      expect(mails).toEqual([['ops@example.com']]);
      expect(JSON.parse((await jarvis(['suggestions', 'test', 'email', '--json'], env)).stdout)).toMatchObject({ delivered: true, recipients: ['ops@example.com'] });
      const webhook = await jarvis(['suggestions', 'test', 'webhook'], env);
      expect(webhook.code).toBe(1);
      expect(webhook.stderr).toContain('409 WEBHOOK_NOT_CONFIGURED');
      const user = await jarvis(['suggestions', 'test', 'email'], { ...env, JARVIS_API_KEY: mailing.userKey });
      expect(user.code).toBe(1);
      expect(user.stderr).toContain('403');
      const usage = await jarvis(['suggestions', 'test', 'sms'], env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('Which channel to test: webhook or email (not "sms")');
      expect(mails).toHaveLength(2);
      const channels = await jarvis(['suggestions', 'channels'], env);
      expect(channels).toMatchObject({ code: 0, stderr: '' });
      expect(channels.stdout).toBe(
        [
          'webhook: not configured. Set PROACTIVE_WEBHOOK_URL (JSON, Slack) or PROACTIVE_WEBHOOK_FORMAT=pagerduty with PROACTIVE_PAGERDUTY_ROUTING_KEY.',
          `email: working, to ops@example.com via 127.0.0.1:${port}, warning and above`,
          '  nothing sent yet',
          '',
        ].join('\n'),
      );
    } finally {
      await mailingHttp.close();
      await mailing.stop();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });

  it('suggestions: lists what the proactive system raised; dismiss hides one for this key', async () => {
    const approvalId = await insertExpiringApproval(plane.testDb.db);
    const id = `approval-expiring:${approvalId}`;
    try {
      await plane.proactive!.evaluate();
      const listed = await jarvis(['suggestions']);
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout).toContain(`[warning] The approval to run kubectl is about to expire  (${id}, since `);
      expect(listed.stdout).toContain('  → Approve or deny it: POST /api/v1/approvals/');
      expect(listed.stdout).toContain(`  signal: approvalId=${approvalId} command=kubectl requestedBy=key_x expiresAt=`);
      const json = await jarvis(['suggestions', 'list', '--json']);
      expect(JSON.parse(json.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id, kind: 'approval-expiring', severity: 'warning' })]));

      const dismissed = await jarvis(['suggestions', 'dismiss', id]);
      expect(dismissed).toMatchObject({ code: 0, stdout: `Dismissed ${id} for this key until its signal clears and comes back.\n` });
      expect((await jarvis(['suggestions'])).stdout).not.toContain(approvalId);

      const unknown = await jarvis(['suggestions', 'dismiss', 'monitoring:no-such-rule']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('404 SUGGESTION_NOT_FOUND: No active suggestion monitoring:no-such-rule');
      const malformed = await jarvis(['suggestions', 'dismiss', 'not an id']);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain('ID must be a suggestion id such as monitoring:api-availability');

      // The dismissal is remembered; forgetting it works once.
      const feedback = await jarvis(['suggestions', 'feedback']);
      expect(feedback).toMatchObject({ code: 0, stderr: '' });
      expect(feedback.stdout).toMatch(new RegExp(`^A suggestion dismissed 3 times within 14 days .*\\n  ${id}  dismissed 1×, last .+, up to warning\\n$`));
      expect(JSON.parse((await jarvis(['suggestions', 'feedback', '--json'])).stdout)).toMatchObject({ muteAfter: 3, subjects: [{ id, dismissals: 1, muted: false }] });
      expect(await jarvis(['suggestions', 'forget', id])).toMatchObject({ code: 0, stdout: `Forgot 1 dismissal of ${id}: it is pushed to this key again.\n` });
      const again = await jarvis(['suggestions', 'forget', id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`404 FEEDBACK_NOT_FOUND: Nothing learned about ${id} from this key's dismissals`);
      expect((await jarvis(['suggestions', 'forget'])).code).toBe(2);
    } finally {
      await plane.testDb.db.query('DELETE FROM command_approvals WHERE id = $1', [approvalId]);
      await plane.proactive!.evaluate();
    }
  });

  it('audit verify: exit 0 when the chain is intact, 1 naming the first broken entry', async () => {
    const entry = await plane.audit.append({ type: 'infra.change', actor: 'cli-test', outcome: 'applied' });
    const [intact, json] = await Promise.all([jarvis(['audit', 'verify']), jarvis(['audit', 'verify', '--json'])]);
    expect(intact).toMatchObject({ code: 0, stderr: '' });
    expect(intact.stdout).toMatch(/^Audit log intact: \d+ entries verified\.\nOnly the chain was checked: without a Redis mirror \(REDIS_URL\) or a witness file \(AUDIT_WITNESS_FILE\) the newest entries cut off would not show\.\n$/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, checked: expect.any(Number) });

    // Altered behind the trigger's back, as someone with database access could; put back afterwards.
    const setOutcome = (outcome: string) => tamper(plane.testDb.db, 'UPDATE audit_log SET outcome = $1 WHERE seq = $2', [outcome, entry.seq]);
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
      [['keys', 'list', '--key', 'jrv_0123456789abcdef_secret'], /--key is not accepted: .* set JARVIS_API_KEY instead/],
      [['agents', 'stats', '--wait'], /--wait is not an option of `agents stats`/],
      [['task', 'submit', 'Probe'], /Missing TASK_TYPE/],
      [['task', 'submit', 'Probe', 'noop', '--payload', '{"label":'], /--payload is not valid JSON/],
      [['task', 'submit', 'Probe', 'noop', '--payload', '[1]'], /--payload must be a JSON object/],
      [['task', 'submit', 'Probe', 'noop', '--payload-file', '/nonexistent/payload.json'], /--payload-file cannot be read: no such file/],
      [['task', 'submit', 'Probe', 'noop', '--priority', 'urgent'], /--priority must be one of: critical, high, medium, low/],
      [['task', 'submit', 'Probe', 'noop', '--cancel-on-interrupt'], /--cancel-on-interrupt only applies with --wait/],
      [['task', 'get', 'tsk_nope'], /TASK_ID must be a task id/],
      [['approvals', 'list', '--status', 'waiting'], /--status must be one of: pending, approved/],
      [['approvals', 'deny', 'apr_00000000-0000-4000-8000-000000000000'], /Missing --reason TEXT/],
      [['costs', '--by', 'week'], /--by must be one of: day, model, caller/],
      [['costs', '--from', '2026-13-01'], /--from must be a date/],
      [['memory', 'recall', 'loud', '--k', '0'], /--k must be at least 1/],
      [['memory', 'forget', 'x'], /Unknown subcommand "memory forget": use recall or remember/],
    ];
    // Not a single request may reach the server for any of them.
    const requestsBefore = requests;
    // In this process, through the runCli that main.ts calls; the first case also runs as a
    // real process, for its exit status.
    const runs = await Promise.all(cases.map(([args]) => jarvis(args)));
    const got = runs.map((run, i) => ({ args: cases[i]![0], code: run.code, stdout: run.stdout, stderr: run.stderr.split('\n')[0] }));
    const want = cases.map(([args, message]) => ({ args, code: 2, stdout: '', stderr: expect.stringMatching(message) }));
    expect(got).toEqual(want);
    const spawned = await jarvisProcess(cases[0]![0]);
    expect({ args: cases[0]![0], code: spawned.code, stdout: spawned.stdout, stderr: spawned.stderr.split('\n')[0] }).toEqual(want[0]);
    expect(requests).toBe(requestsBefore);
  });

  it('exits 2 when no admin key is configured', async () => {
    const run = await jarvis(['keys', 'list'], { JARVIS_API_KEY: undefined });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No API key: set JARVIS_API_KEY');
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
    expect(run.stderr).toContain(`Cannot reach the control plane at http://127.0.0.1:${port} (ECONNREFUSED): is it running? Start it with \`npm start\``);
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
