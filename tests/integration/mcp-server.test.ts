import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createMusicModule } from '../../src/dawg/modules/music';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { insertExpiringApproval } from '../helpers/approvals';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/**
 * The MCP server as Claude Desktop runs it: a child process on stdio (node --import tsx main.ts),
 * driven by the SDK's own Client, talking HTTP to a real control plane (PostgreSQL) and a real
 * DAWG (testing and music modules) in this test process.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = 'src/control-plane/integrations/mcp/main.ts';
const TOOLS = ['list_agents', 'queue_agent_task', 'get_job', 'execute_module_action', 'chat', 'remember', 'recall', 'list_approvals', 'decide_approval', 'run_command', 'get_costs', 'get_budget', 'get_suggestions', 'get_suggestion_channels', 'verify_audit_log', 'produce_track', 'get_catalog_track'];
const BAD_KEY = `jrv_00000000deadbeef_${'Q'.repeat(43)}`;

let dir: string;
let dawg: Listening;
let audio: AudioWorkerPool;
let plane: TestPlane;
let http: Listening;
let secondAdminKey: string;
const sessions: Session[] = [];

interface Session {
  client: Client;
  stderr: () => string;
  /** Transport errors: a line on stdout that is not JSON-RPC lands here. */
  errors: Error[];
}

/** The child's environment: nothing of the developer's shell beyond what the SDK passes by default. */
const childEnv = (key: string | undefined) => ({ JARVIS_URL: http.url, ...(key === undefined ? {} : { JARVIS_API_KEY: key }), LOG_LEVEL: 'info' });

async function connect(key: string): Promise<Session> {
  const transport = new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', ENTRY], cwd: ROOT, env: childEnv(key), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'jest', version: '1.0.0' });
  const session: Session = { client, stderr: () => stderr, errors: [] };
  client.onerror = (err) => session.errors.push(err);
  await client.connect(transport);
  sessions.push(session);
  return session;
}

const call = async (session: Session, name: string, args: Record<string, unknown> = {}) => (await session.client.callTool({ name, arguments: args })) as CallToolResult;
const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
/** A resource's JSON text. */
async function readJson(session: Session, uri: string): Promise<Record<string, unknown>> {
  const [content] = (await session.client.readResource({ uri })).contents;
  if (!content || !('text' in content)) throw new Error(`no text content at ${uri}`);
  expect(content).toMatchObject({ uri, mimeType: 'application/json' });
  return JSON.parse(content.text) as Record<string, unknown>;
}
const data = <T = Record<string, unknown>>(result: CallToolResult): T => {
  if (result.isError) throw new Error(`tool failed: ${text(result)}`);
  return result.structuredContent as T;
};

let admin: Session;
let user: Session;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcp-'));
  const files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 50_000_000 });
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  audio = new AudioWorkerPool({ workers: 0, filesDir: path.join(dir, 'files') });
  const registry = new ModuleRegistry();
  const startedAt = Date.now();
  registry.register(createTestingModule({ listModules: () => registry.names(), dataDir: dir, startedAt }));
  registry.register(createMusicModule({ projects, files, audio }));
  dawg = await listen(buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '5mb', startedAt, files, audio }));

  const policyFile = path.join(dir, 'policy.json');
  await writeFile(
    policyFile,
    JSON.stringify({
      version: 1,
      path: ['/usr/bin', '/bin'],
      defaults: { allowedDirectories: [dir] },
      rules: { df: { description: 'disk', args: ['-h'] }, free: { description: 'memory', args: ['-m'], requireApproval: true } },
    }),
  );
  plane = await startTestPlane({ env: { TERMINAL_FIREWALL_POLICY_FILE: policyFile, AI_DAWG_BACKEND_URL: dawg.url } });
  http = await listen(plane.app);
  secondAdminKey = (await plane.apiKeys.create('second-admin', ['admin', 'devops'])).key;
  [admin, user] = await Promise.all([connect(plane.adminKey), connect(plane.userKey)]);
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.client.close()));
  await http?.close();
  await plane?.stop();
  await dawg?.close();
  await audio?.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const session of sessions) {
    expect(session.errors).toEqual([]);
    for (const key of [plane.adminKey, plane.userKey, secondAdminKey, BAD_KEY]) expect(session.stderr()).not.toContain(key);
  }
});

describe('Jarvis MCP server over stdio', () => {
  test('lists every tool with input and output schemas and honest hints', async () => {
    const { tools } = await admin.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['run_command', 'decide_approval', 'execute_module_action']) expect(byName.get(name)?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('list_agents')?.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get('queue_agent_task')?.inputSchema.required).toEqual(expect.arrayContaining(['agent', 'taskType']));
  });

  test('list_agents answers the six agents, as structured content and as text', async () => {
    const result = await call(admin, 'list_agents');
    const names = data<{ agents: { name: string }[] }>(result).agents.map((a) => a.name);
    expect(names.sort()).toEqual(['CreativeDirector', 'DataScientist', 'DevOpsEngineer', 'MarketingStrategist', 'MixingEngineer', 'QualityAssurance']);
    expect(text(result)).toMatch(/^6 agents: /);
    expect(text(result)).toContain('system-health-check');
  });

  test('queues a task and reads it back as a job, by tool and as a resource', async () => {
    const queued = data<{ taskId: string; status: string }>(await call(admin, 'queue_agent_task', { agent: 'QualityAssurance', taskType: 'system-health-check', priority: 'high' }));
    expect(queued.taskId).toMatch(/^tsk_/);
    expect(queued.status).toBe('queued');

    const { job } = data<{ job: { jobId: string; kind: string; agent: string; priority: string; status: string } }>(await call(admin, 'get_job', { jobId: queued.taskId }));
    expect(job).toMatchObject({ jobId: queued.taskId, kind: 'task', agent: 'QualityAssurance', priority: 'high', status: 'queued' });

    const { resourceTemplates } = await admin.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(expect.arrayContaining(['jarvis://jobs/{jobId}', 'jarvis://music/projects/{projectId}/tracks', 'jarvis://audio-files/{fileId}']));
    expect(await readJson(admin, `jarvis://jobs/${queued.taskId}`)).toMatchObject({ jobId: queued.taskId, taskType: 'system-health-check' });

    await expect(admin.client.readResource({ uri: 'jarvis://jobs/tsk_00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: -32002 });
    await expect(admin.client.readResource({ uri: 'jarvis://jobs/not-a-job' })).rejects.toThrow(/jobId: must be a task/);
  });

  test('bad input is refused before anything is sent, naming the field', async () => {
    const local = await call(admin, 'queue_agent_task', { agent: 'QualityAssurance', taskType: 'system-health-check', priority: 'urgent' });
    expect(local.isError).toBe(true);
    expect(text(local)).toMatch(/priority/);
    const missing = await call(admin, 'get_job', {});
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/jobId/);
    // The control plane's own validation comes back with its code and the tool's field names.
    const remote = await call(admin, 'queue_agent_task', { agent: 'QualityAssurance', taskType: 'no-such-capability' });
    expect(remote.isError).toBe(true);
    expect(text(remote)).toMatch(/^VALIDATION_FAILED \(HTTP 400\): /);
    expect(text(remote)).toMatch(/^- taskType: /m);
    const unknownAgent = await call(admin, 'queue_agent_task', { agent: 'Nobody', taskType: 'x' });
    expect(text(unknownAgent)).toMatch(/^AGENT_NOT_FOUND \(HTTP 404\)/);
  });

  test('produce_track starts the production workflow; get_catalog_track reads the catalog', async () => {
    const started = data<{ jobId: string; taskIds: Record<string, string> }>(await call(user, 'produce_track', { prompt: "Create a synthwave track called 'Neon Dreams'", duration: 10 }));
    expect(started.jobId).toMatch(/^wf_/);
    expect(Object.keys(started.taskIds)).toEqual(['concept', 'generate', 'mix', 'master', 'review', 'publish']);
    const { job } = data<{ job: { kind: string; steps: { stepKey: string }[] } }>(await call(user, 'get_job', { jobId: started.jobId }));
    expect(job.kind).toBe('workflow');
    expect(job.steps.map((s) => s.stepKey)).toEqual(['concept', 'generate', 'mix', 'master', 'review', 'publish']);
    await plane.agents!.workflows.cancel(started.jobId);

    const bad = await call(user, 'produce_track', { prompt: 'x', duration: 5 });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/duration/);
    const unknown = await call(user, 'get_catalog_track', { id: 'nope-20260101-abcdef' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/^TRACK_NOT_FOUND \(HTTP 404\)/);
  });

  test('remembers a memory and recalls it', async () => {
    const remembered = data<{ action: string; memory: { id: string; content: string } }>(
      await call(user, 'remember', { text: 'The master of Neon Dreams targets -14 LUFS for Spotify', type: 'fact', projectId: 'neon-dreams' }),
    );
    expect(remembered).toMatchObject({ action: 'created', memory: { content: 'The master of Neon Dreams targets -14 LUFS for Spotify' } });
    const recalled = data<{ hits: { id: string; score: number }[] }>(await call(user, 'recall', { query: 'loudness target of Neon Dreams', k: 3 }));
    expect(recalled.hits[0]?.id).toBe(remembered.memory.id);
    // Memories belong to the key's user: the admin key's user has none of them.
    const other = data<{ hits: unknown[] }>(await call(admin, 'recall', { query: 'loudness target of Neon Dreams' }));
    expect(other.hits).toEqual([]);
  });

  test('chat goes through the AI router (offline model when nothing is configured), costs and budget follow', async () => {
    const answer = data<{ model: string; offline: boolean; costUsd: number; content: string }>(await call(admin, 'chat', { messages: [{ role: 'user', content: 'Say hello' }], taskType: 'fast' }));
    expect(answer).toMatchObject({ model: 'offline', offline: true, costUsd: 0 });
    expect(answer.content.startsWith('[offline]')).toBe(true);

    const costs = data<{ groupBy: string; rows: { key: string; calls: number }[]; total: { calls: number } }>(await call(admin, 'get_costs', { groupBy: 'model' }));
    expect(costs.groupBy).toBe('model');
    expect(costs.rows.find((r) => r.key === 'offline')?.calls).toBeGreaterThanOrEqual(1);
    const budget = data<{ scopes: { scope: string; state: string }[] }>(await call(admin, 'get_budget'));
    expect(budget.scopes.map((s) => s.scope)).toContain('global');

    // Costs are admin-only: the error says which scope the key lacks.
    const forbidden = await call(user, 'get_costs');
    expect(forbidden.isError).toBe(true);
    expect(text(forbidden)).toMatch(/^FORBIDDEN \(HTTP 403\)/);
    expect(text(forbidden)).toContain('"admin" scope');
    const badDate = await call(admin, 'get_costs', { from: 'yesterday' });
    expect(text(badDate)).toMatch(/from/);
  });

  test('get_suggestions reads what the proactive system raised, as the key may see it', async () => {
    await plane.proactive!.evaluate();
    expect(text(await call(admin, 'get_suggestions'))).toMatch(/^No active suggestions\.\n/);
    const approvalId = await insertExpiringApproval(plane.testDb.db);
    try {
      await plane.proactive!.evaluate();
      const found = await call(admin, 'get_suggestions');
      expect(data<{ suggestions: { id: string; kind: string }[] }>(found).suggestions).toEqual([expect.objectContaining({ id: `approval-expiring:${approvalId}`, kind: 'approval-expiring' })]);
      expect(text(found)).toMatch(/^1 active suggestion:\n- \[warning\] The approval to run kubectl is about to expire: .+ → Approve or deny it/);
      // Approvals are for admins: the integration key is not shown it.
      expect(data<{ suggestions: unknown[] }>(await call(user, 'get_suggestions')).suggestions).toEqual([]);
      // One this key dismissed three times lately is marked muted (no longer pushed to it).
      const keyId = /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1]!;
      await plane.testDb.db.query(`INSERT INTO suggestion_feedback (key_id, suggestion_id, severity) SELECT $1, $2, 'warning' FROM generate_series(1, 3)`, [keyId, `approval-expiring:${approvalId}`]);
      expect(text(await call(admin, 'get_suggestions'))).toMatch(/→ Approve or deny it.* \(muted: dismissed 3 times lately, no longer pushed to this key\)/);
    } finally {
      await plane.testDb.db.query('DELETE FROM suggestion_feedback');
      await plane.testDb.db.query('DELETE FROM command_approvals WHERE id = $1', [approvalId]);
      await plane.proactive!.evaluate();
    }
  });

  test('get_suggestion_channels and verify_audit_log: admin tools over their routes, refused to another key', async () => {
    const channels = await call(admin, 'get_suggestion_channels');
    expect(data<{ channels: Array<{ channel: string; configured: boolean }> }>(channels).channels).toEqual([
      expect.objectContaining({ channel: 'webhook', configured: false }),
      expect.objectContaining({ channel: 'email', configured: false }),
    ]);
    expect(text(channels)).toMatch(/^webhook: not configured\nemail: not configured\n/);
    const verified = await call(admin, 'verify_audit_log');
    expect(data<{ ok: boolean; checked: number }>(verified)).toMatchObject({ ok: true });
    expect(text(verified)).toMatch(/^Audit log intact: \d+ entries verified \(only the chain: no copy outside the database to compare\)\./);
    for (const tool of ['get_suggestion_channels', 'verify_audit_log']) {
      const refused = await call(user, tool);
      expect(refused.isError).toBe(true);
      expect(text(refused)).toMatch(/^FORBIDDEN \(HTTP 403\)/);
    }
  });

  test('commands go through the firewall: refused, run, held, then decided by another admin', async () => {
    const refused = await call(admin, 'run_command', { command: 'rm', args: ['-rf', '/'] });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^COMMAND_DENIED \(HTTP 403\): /);
    expect(text(refused)).toContain('COMMAND_FORBIDDEN');

    const ran = data<{ status: string; result: { exitCode: number; stdout: string } }>(await call(admin, 'run_command', { command: 'df', args: ['-h'], cwd: dir }));
    expect(ran.status).toBe('finished');
    expect(ran.result.exitCode).toBe(0);
    expect(ran.result.stdout).toMatch(/Filesystem/);

    const held = data<{ status: string; approval: { id: string } }>(await call(admin, 'run_command', { command: 'free', args: ['-m'], cwd: dir }));
    expect(held.status).toBe('pending-approval');
    const listed = data<{ approvals: { id: string; status: string }[] }>(await call(admin, 'list_approvals', { status: 'pending' }));
    expect(listed.approvals.map((a) => a.id)).toContain(held.approval.id);

    const self = await call(admin, 'decide_approval', { id: held.approval.id, decision: 'approve' });
    expect(self.isError).toBe(true);
    expect(text(self)).toMatch(/\(HTTP 403\)/);
    const other = await connect(secondAdminKey);
    const denied = data<{ id: string; status: string; decisionNote: string }>(await call(other, 'decide_approval', { id: held.approval.id, decision: 'deny', note: 'not now' }));
    expect(denied).toMatchObject({ id: held.approval.id, status: 'denied', decisionNote: 'not now' });

    const noScope = await call(user, 'list_approvals');
    expect(text(noScope)).toMatch(/^FORBIDDEN \(HTTP 403\)[\s\S]*"devops" scope/);
  });

  test('module actions run on the DAWG; tracks of music projects are resources', async () => {
    const health = data<{ module: string; result: { status: string } }>(await call(admin, 'execute_module_action', { module: 'testing', action: 'health-check' }));
    expect(health).toMatchObject({ module: 'testing', result: { status: 'ok' } });
    const unknown = await call(admin, 'execute_module_action', { module: 'nope', action: 'x' });
    expect(text(unknown)).toMatch(/^UNKNOWN_MODULE \(HTTP 404\)[\s\S]*details: .*testing/);

    const project = data<{ result: { id: string } }>(await call(admin, 'execute_module_action', { module: 'music', action: 'create-project', params: { name: 'Neon Dreams', bpm: 110 } })).result;
    const notes = [{ pitch: 60, velocity: 100, startBeats: 0, durationBeats: 1 }];
    await call(admin, 'execute_module_action', { module: 'music', action: 'add-track', params: { projectId: project.id, name: 'Lead', source: { kind: 'midi', instrument: 'lead', notes } } }).then(data);

    const { resources } = await admin.client.listResources();
    const tracksUri = `jarvis://music/projects/${project.id}/tracks`;
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['jarvis://music/projects', tracksUri]));
    const tracks = await readJson(admin, tracksUri);
    expect(tracks).toMatchObject({ projectId: project.id, name: 'Neon Dreams', bpm: 110, tracks: [{ name: 'Lead', source: { kind: 'midi', instrument: 'lead' } }] });
    const list = await readJson(admin, 'jarvis://music/projects');
    expect(list.projects).toEqual([expect.objectContaining({ id: project.id, tracks: 1 })]);
    await expect(admin.client.readResource({ uri: 'jarvis://audio-files/f_00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: -32002 });

    // Stored audio files are listed (newest first) and readable with their analysis.
    const tone = new Float32Array(48_000).map((_, i) => 0.1 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    const upload = await fetch(`${http.url}/api/v1/audio/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${plane.adminKey}`, 'content-type': 'audio/wav', 'x-file-name': 'tone.wav' },
      body: encodeWav({ sampleRate: 48_000, channels: [tone] }, { bitDepth: 16, format: 'pcm' }),
    });
    expect(upload.status).toBe(201);
    const stored = (await upload.json()) as { id: string };
    const fileUri = `jarvis://audio-files/${stored.id}`;
    expect((await admin.client.listResources()).resources).toEqual(expect.arrayContaining([expect.objectContaining({ uri: fileUri, name: 'tone.wav' })]));
    expect(await readJson(admin, fileUri)).toMatchObject({ id: stored.id, name: 'tone.wav', contentType: 'audio/wav' });
  });

  test('a wrong API key gives error results that name the variable, never the key', async () => {
    const bad = await connect(BAD_KEY);
    const result = await call(bad, 'list_agents');
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^UNAUTHORIZED \(HTTP 401\)/);
    expect(text(result)).toContain('JARVIS_API_KEY');
    expect(text(result)).not.toContain(BAD_KEY);
  });
});

describe('the stdio process', () => {
  /** Runs the entry with raw pipes: what a client would see byte for byte. */
  function runRaw(env: Record<string, string>, messages: object[], expectedReplies: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        // All replies in: closing stdin is how a client ends the server.
        if (stdout.split('\n').filter(Boolean).length >= expectedReplies) child.stdin.end();
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      for (const message of messages) child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
      if (expectedReplies === 0) child.stdin.end();
    });
  }

  test('stdout carries JSON-RPC only; logs go to stderr; closing stdin ends it with 0', async () => {
    const run = await runRaw({ JARVIS_URL: http.url, JARVIS_API_KEY: plane.adminKey, LOG_LEVEL: 'debug' }, [
      { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
      { method: 'notifications/initialized' },
      { id: 2, method: 'tools/call', params: { name: 'list_agents', arguments: {} } },
      { id: 3, method: 'tools/call', params: { name: 'run_command', arguments: { command: 'rm', args: ['-rf', '/'] } } },
    ], 3);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    const replies = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result: { isError?: boolean } });
    expect(replies.map((r) => [r.jsonrpc, r.id])).toEqual([['2.0', 1], ['2.0', 2], ['2.0', 3]]);
    expect(replies[2]!.result.isError).toBe(true);
    const logs = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message: string; tool?: string; code?: string; service: string });
    expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'jarvis-mcp', message: 'tool call failed', tool: 'run_command', code: 'COMMAND_DENIED' })]));
    expect(run.stderr).not.toContain(plane.adminKey);
  });

  test('an unreachable or silent control plane gives bounded, clear error results', async () => {
    // Accepts connections and never answers: for the timeout.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const listAgents = [
      { id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
      { method: 'notifications/initialized' },
      { id: 2, method: 'tools/call', params: { name: 'list_agents', arguments: {} } },
    ];
    try {
      const [down, hung] = await Promise.all([
        runRaw({ JARVIS_URL: `http://127.0.0.1:${closedPort}`, JARVIS_API_KEY: plane.adminKey }, listAgents, 2),
        runRaw({ JARVIS_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, JARVIS_API_KEY: plane.adminKey, JARVIS_TIMEOUT_MS: '500' }, listAgents, 2),
      ]);
      const resultOf = (stdout: string) => (JSON.parse(stdout.split('\n').filter(Boolean)[1]!) as { result: CallToolResult }).result;
      expect(resultOf(down.stdout)).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/^CONTROL_PLANE_UNREACHABLE: .*ECONNREFUSED[\s\S]*hint: is the control plane running/) }] });
      expect(resultOf(hung.stdout)).toMatchObject({ isError: true, content: [{ type: 'text', text: expect.stringMatching(/^CONTROL_PLANE_TIMEOUT: No answer .* within 500 ms/) }] });
      expect(down.stderr + hung.stderr).not.toContain(plane.adminKey);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('a missing or malformed key stops it with exit code 2 and a clear message, nothing on stdout', async () => {
    const missing = await runRaw({ JARVIS_URL: http.url }, [], 0);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/JARVIS_API_KEY: is required/);
    const secretLooking = 'jrv_abc def-this-is-not-a-key';
    const malformed = await runRaw({ JARVIS_URL: 'ftp://example', JARVIS_API_KEY: secretLooking }, [], 0);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/JARVIS_API_KEY: must be printable ASCII without spaces/);
    expect(malformed.stderr).toMatch(/JARVIS_URL: /);
    expect(malformed.stderr).not.toContain(secretLooking);
  });
});
