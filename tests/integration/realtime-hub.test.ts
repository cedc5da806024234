import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { connectRedis, type RedisClient } from '../../src/common/kv';
import { listenWithHub, startTestPlane, type TestPlane, type TestPlaneOptions } from '../helpers/control-plane';
import { openTestDb, TEST_REDIS_URL, uniqueName, type TestDb } from '../helpers/db';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';
import { silentLogger } from '../helpers/logger';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';
import { TestSocket } from '../helpers/ws-client';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const HEARTBEAT_MS = 150;
const MAX_BUFFERED = 64 * 1024;

/** Queues a Probe noop task as `key` over HTTP; returns its id. */
async function queueTask(plane: TestPlane, key: string, label: string): Promise<string> {
  const res = await request(plane.app).post('/api/v1/agents/Probe/tasks').set(bearer(key)).send({ taskType: 'noop', payload: { label } }).expect(202);
  return res.body.taskId as string;
}

type Listening = Awaited<ReturnType<typeof listenWithHub>>;

/**
 * Two control planes on one database and one Redis (own schema and key prefix), each serving
 * its hub: started before the enclosing describe's tests, stopped after them.
 */
function twoInstances(env: Record<string, string>, optionsA: TestPlaneOptions = {}, optionsB: TestPlaneOptions = {}): { a: TestPlane; b: TestPlane; serverA: Listening; serverB: Listening } {
  const two = {} as { a: TestPlane; b: TestPlane; serverA: Listening; serverB: Listening };
  let testDb: TestDb | undefined;
  let redis: RedisClient | undefined;
  beforeAll(async () => {
    testDb = await openTestDb('postgres');
    redis = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    const shared = { REDIS_KEY_PREFIX: `${uniqueName('ws')}:`, ...env };
    two.a = await startTestPlane({ ...optionsA, kind: 'postgres', testDb, redis, env: shared });
    two.b = await startTestPlane({ ...optionsB, kind: 'postgres', testDb, redis, env: shared });
    two.serverA = await listenWithHub(two.a);
    two.serverB = await listenWithHub(two.b);
  });
  afterAll(async () => {
    await two.serverA?.close();
    await two.serverB?.close();
    await two.a?.stop();
    await two.b?.stop();
    await testDb?.drop();
    if (redis?.isOpen) await redis.quit();
  });
  return two;
}

describe('WebSocket hub on one instance (in-process bus)', () => {
  let dir: string;
  let plane: TestPlane;
  let server: Awaited<ReturnType<typeof listenWithHub>>;
  let openai: FakeProvider;
  let otherUser: string;
  let secondAdmin: string;
  const sockets: TestSocket[] = [];

  /** An authenticated socket (by header), tracked for clean-up. */
  async function connectAs(key: string): Promise<TestSocket> {
    const socket = await TestSocket.open(server.wsUrl, { headers: bearer(key) });
    sockets.push(socket);
    await socket.waitFor((m) => m.type === 'ready');
    return socket;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ws-hub-'));
    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ version: 1, path: ['/usr/bin', '/bin'], defaults: { allowedDirectories: [dir] }, rules: { free: { description: 'memory', args: ['-m'], requireApproval: true } } }));
    openai = await startFakeProvider('openai');
    plane = await startTestPlane({
      kind: 'postgres',
      runTasks: true,
      agents: [createProbeAgent(new ProbeLog())],
      env: {
        TERMINAL_FIREWALL_POLICY_FILE: policyFile,
        WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
        WS_AUTH_TIMEOUT_MS: '400',
        WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
        OPENAI_API_KEY: 'sk-test-openai-0123456789abcdef',
        OPENAI_BASE_URL: openai.url,
      },
    });
    otherUser = (await plane.apiKeys.create('other-user', [])).key;
    secondAdmin = (await plane.apiKeys.create('second-admin', ['admin', 'devops'])).key;
    server = await listenWithHub(plane);
  });
  // Each test's sockets go with it: a later test's events must not reach (or drop) them.
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await server?.close();
    await plane?.stop();
    await openai?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('authenticates with Authorization: Bearer or X-API-Key on the upgrade', async () => {
    const byBearer = await connectAs(plane.adminKey);
    const ready = byBearer.received.find((m) => m.type === 'ready');
    expect(ready).toMatchObject({ principal: { kind: 'api-key', scopes: ['admin', 'devops'] }, channels: ['tasks', 'approvals', 'costs', 'health', 'suggestions'], limits: { heartbeatMs: HEARTBEAT_MS, maxBufferedBytes: MAX_BUFFERED } });
    const byHeader = await TestSocket.open(server.wsUrl, { headers: { 'X-API-Key': plane.userKey } });
    sockets.push(byHeader);
    expect(await byHeader.waitFor((m) => m.type === 'ready')).toMatchObject({ principal: { scopes: [] }, channels: ['tasks', 'costs', 'health', 'suggestions'] });
  });

  test('authenticates with a first auth message; requests sent before the answer wait for it', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    sockets.push(socket);
    socket.send({ type: 'auth', apiKey: plane.userKey, requestId: 'a1' });
    socket.send({ type: 'subscribe', channel: 'health', requestId: 's1' });
    expect(await socket.waitFor((m) => m.type === 'ready')).toMatchObject({ requestId: 'a1' });
    expect(await socket.waitFor((m) => m.type === 'ack')).toMatchObject({ requestId: 's1', op: 'subscribe', channel: 'health' });
    const health = await socket.waitFor((m) => m.type === 'event' && m.channel === 'health');
    expect(health).toMatchObject({ event: 'health.summary', data: { checks: { database: { status: 'ok' } } }, at: expect.any(String) });
  });

  test('refuses a missing, wrong or misplaced credential with a documented close code', async () => {
    const silent = await TestSocket.open(server.wsUrl);
    expect((await silent.closed).code).toBe(4002);
    const badHeader = await TestSocket.open(server.wsUrl, { headers: bearer('jrv_0123456789abcdef_' + 'x'.repeat(43)) });
    expect(await badHeader.closed).toMatchObject({ code: 4001, reason: 'invalid credentials' });
    const otherScheme = await TestSocket.open(server.wsUrl, { headers: { Authorization: `Basic ${plane.adminKey}` } });
    expect((await otherScheme.closed).code).toBe(4001);
    const badMessage = await TestSocket.open(server.wsUrl);
    badMessage.send({ type: 'auth', apiKey: 'not-a-key' });
    expect((await badMessage.closed).code).toBe(4001);
    const notAuthFirst = await TestSocket.open(server.wsUrl);
    notAuthFirst.send({ type: 'subscribe', channel: 'tasks' });
    expect((await notAuthFirst.closed).code).toBe(4001);
    // A malformed first message: its long reason is cut to the protocol's 123 bytes.
    const malformedFirst = await TestSocket.open(server.wsUrl);
    malformedFirst.send({ type: 'subscribe', channel: 'jobs/nope' });
    const malformedClose = await malformedFirst.closed;
    expect(malformedClose).toMatchObject({ code: 4001, reason: expect.stringContaining('the first message must be auth') });
    expect(Buffer.byteLength(malformedClose.reason)).toBeLessThanOrEqual(123);
    // Even a valid key is refused in the URL: URLs end up in logs.
    const inUrl = await TestSocket.open(`${server.wsUrl}?token=${plane.adminKey}`);
    expect((await inUrl.closed).code).toBe(4003);
    expect(inUrl.received).toEqual([]);
    await expect(TestSocket.open(server.wsUrl.replace('/ws', '/other'), { headers: bearer(plane.adminKey) })).rejects.toThrow('HTTP 404');
    await plane.audit.flush();
    const failures = await plane.audit.query({ type: 'auth.failure', limit: 50 });
    expect(failures.entries.filter((e) => e.subject === '/ws').length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(failures.entries)).not.toContain('x'.repeat(43));
  });

  test('a bad message is answered with an error naming the field, and the socket stays usable', async () => {
    const socket = await connectAs(plane.userKey);
    expect(await socket.request({ type: 'subscribe', channel: 'everything' })).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE', field: 'channel', message: expect.stringContaining('channel: must be tasks, approvals') });
    expect(await socket.request({ type: 'launch' })).toMatchObject({ type: 'error', field: 'type', message: expect.stringContaining('must be one of auth, subscribe') });
    expect(await socket.request({ type: 'approval.decide', id: 'apr_x', decision: 'maybe' })).toMatchObject({ type: 'error', field: 'id', issues: [{ field: 'id' }, { field: 'decision', message: 'must be "approve" or "deny"' }] });
    expect(await socket.request({ type: 'subscribe', channel: 'tasks', extra: 1 })).toMatchObject({ type: 'error', field: 'extra', message: expect.stringContaining('extra: is not a known field') });
    socket.send('{not json');
    expect(await socket.waitFor((m) => m.type === 'error' && m.code === 'INVALID_JSON')).toBeDefined();
    expect(await socket.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  test('tasks: a subscriber sees a queued task go through its states, on tasks and on jobs/<id>', async () => {
    const admin = await connectAs(plane.adminKey);
    expect(await admin.request({ type: 'subscribe', channel: 'tasks' })).toMatchObject({ type: 'ack', subscriptions: ['tasks'] });
    const taskId = await queueTask(plane, plane.userKey, 'watched');
    await admin.waitFor((m) => m.type === 'event' && m.event === 'task.completed' && (m.data as { jobId: string }).jobId === taskId);
    expect(admin.events('tasks', taskId).map((e) => e.event)).toEqual(['task.created', 'task.started', 'task.completed']);
    expect(admin.events('tasks', taskId)[0]).toMatchObject({ type: 'event', channel: 'tasks', data: { jobId: taskId, agent: 'Probe', taskType: 'noop' }, at: expect.any(String) });

    const owner = await connectAs(plane.userKey);
    const second = await queueTask(plane, plane.userKey, 'by-job');
    expect(await owner.request({ type: 'subscribe', channel: `jobs/${second}` })).toMatchObject({ type: 'ack', channel: `jobs/${second}` });
    // Subscribed after it was queued: whatever state it reached since arrives, ending with completion.
    const done = await owner.waitFor((m) => m.type === 'event' && m.channel === `jobs/${second}` && m.event === 'task.completed');
    expect(done).toMatchObject({ data: { jobId: second } });
    expect(await owner.request({ type: 'unsubscribe', channel: `jobs/${second}` })).toMatchObject({ type: 'ack', op: 'unsubscribe', subscriptions: [] });
  });

  test("a key without admin sees only its own tasks, and cannot watch another key's job", async () => {
    const mine = await connectAs(plane.userKey);
    const theirs = await connectAs(otherUser);
    await mine.request({ type: 'subscribe', channel: 'tasks' });
    await theirs.request({ type: 'subscribe', channel: 'tasks' });
    const theirTask = await queueTask(plane, otherUser, 'theirs');
    await theirs.waitFor((m) => m.type === 'event' && m.event === 'task.completed' && (m.data as { jobId: string }).jobId === theirTask);
    const myTask = await queueTask(plane, plane.userKey, 'mine');
    await mine.waitFor((m) => m.type === 'event' && m.event === 'task.completed' && (m.data as { jobId: string }).jobId === myTask);
    expect(mine.events('tasks', theirTask)).toEqual([]);
    expect(theirs.events('tasks', myTask)).toEqual([]);
    expect(await mine.request({ type: 'subscribe', channel: `jobs/${theirTask}` })).toMatchObject({ type: 'error', code: 'NOT_FOUND', field: 'channel' });
  });

  test('approvals: a devops command held for approval is announced, and an admin decides it over the socket', async () => {
    const watcher = await connectAs(secondAdmin);
    const user = await connectAs(plane.userKey);
    expect(await user.request({ type: 'subscribe', channel: 'approvals' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    await watcher.request({ type: 'subscribe', channel: 'approvals' });
    const held = await request(plane.app).post('/api/v1/devops/exec').set(bearer(plane.adminKey)).send({ command: 'free', args: ['-m'] }).expect(202);
    const id = held.body.approval.id as string;
    const requested = await watcher.waitFor((m) => m.type === 'event' && m.event === 'approval.requested');
    expect(requested).toMatchObject({ channel: 'approvals', data: { id, command: 'free', status: 'pending' } });
    expect(requested.type === 'event' && 'env' in (requested.data as object)).toBe(false);

    expect(await user.request({ type: 'approval.decide', id, decision: 'approve' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringContaining('"admin" scope') });
    const asker = await connectAs(plane.adminKey);
    expect(await asker.request({ type: 'approval.decide', id, decision: 'approve' })).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringContaining('cannot approve or deny') });
    expect(await watcher.request({ type: 'approval.decide', id: 'apr_00000000-0000-0000-0000-000000000000', decision: 'deny' })).toMatchObject({ type: 'error', code: 'APPROVAL_NOT_FOUND' });
    const ack = await watcher.request({ type: 'approval.decide', id, decision: 'approve', reason: 'looks fine' });
    expect(ack).toMatchObject({ type: 'ack', op: 'approval.decide', approval: { id, status: 'approved', decisionNote: 'looks fine' } });
    expect(await watcher.waitFor((m) => m.type === 'event' && m.event === 'approval.decided')).toMatchObject({ data: { id, status: 'approved' } });
    expect(await asker.request({ type: 'approval.decide', id, decision: 'deny' })).toMatchObject({ type: 'error', code: 'CONFLICT' });

    const secondAdminId = /^jrv_([a-f0-9]{16})_/.exec(secondAdmin)![1];
    const decided = (await plane.audit.query({ type: 'approval.decided', limit: 10 })).entries;
    expect(decided.find((e) => (e.details as { approvalId?: string }).approvalId === id)).toMatchObject({ actor: secondAdminId, outcome: 'approved' });
  });

  test('costs: an AI call announces its spend against the budgets, to admins and to the calling key only', async () => {
    const admin = await connectAs(plane.adminKey);
    const caller = await connectAs(plane.userKey);
    const other = await connectAs(otherUser);
    for (const s of [admin, caller, other]) await s.request({ type: 'subscribe', channel: 'costs' });
    await request(plane.app).post('/api/v1/ai/chat').set(bearer(plane.userKey)).send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).expect(200);
    const call = await admin.waitFor((m) => m.type === 'event' && m.event === 'ai.call');
    const userKeyId = /^jrv_([a-f0-9]{16})_/.exec(plane.userKey)![1];
    expect(call).toMatchObject({
      channel: 'costs',
      data: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        caller: { keyId: userKeyId },
        costUsd: expect.any(Number),
        scopes: expect.arrayContaining([expect.objectContaining({ scope: 'global', limitUsd: 100, state: 'ok' }), expect.objectContaining({ scope: `key:${userKeyId}`, state: 'unlimited' })]),
      },
    });
    expect((call.type === 'event' && (call.data as { costUsd: number }).costUsd) || 0).toBeGreaterThan(0);
    expect(await caller.waitFor((m) => m.type === 'event' && m.event === 'ai.call')).toMatchObject({ data: { caller: { keyId: userKeyId } } });
    await sleep(200);
    expect(other.events('costs')).toEqual([]);
  });

  test('a client that stops reading is dropped with 4008 instead of the server queueing its events', async () => {
    const slow = await connectAs(plane.adminKey);
    await slow.request({ type: 'subscribe', channel: 'tasks' });
    slow.socket.pause();
    const blob = 'x'.repeat(64 * 1024);
    const published = 400;
    for (let i = 0; i < published; i++) plane.agents!.bus.publish({ type: 'task.progress', jobId: 'tsk_flood', data: { i, blob } });
    // Heartbeats pass while it still does not read (nor answer pings): the socket being closed
    // is left to its closing handshake, not cut.
    await sleep(HEARTBEAT_MS * 4);
    // Back to reading: what was sent before the drop arrives, then the close frame.
    slow.socket.resume();
    const closed = await slow.closed;
    expect(closed).toMatchObject({ code: 4008, reason: expect.stringContaining('slow consumer') });
    expect(slow.events('tasks', 'tsk_flood').length).toBeLessThan(published);
  });

  test('heartbeat: a peer that stops answering pings is cut; one that answers stays', async () => {
    const dead = await TestSocket.open(server.wsUrl, { headers: bearer(plane.userKey), autoPong: false });
    const alive = await connectAs(plane.userKey);
    const started = Date.now();
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS * 10);
    await sleep(HEARTBEAT_MS * 3);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    expect(alive.pings).toBeGreaterThanOrEqual(2);
  });

  test('a revoked key is disconnected at the next heartbeat', async () => {
    const created = await plane.apiKeys.create('short-lived', []);
    const socket = await connectAs(created.key);
    await plane.apiKeys.revoke(created.id);
    expect(await socket.closed).toMatchObject({ code: 4001, reason: 'the API key was revoked' });
  });
});

describe('WebSocket hub on two instances sharing one database and one Redis', () => {
  // A runs tasks; B only takes requests, so B's task.created reaches A's clients through Redis alone.
  const two = twoInstances({}, { runTasks: true, agents: [createProbeAgent(new ProbeLog())] }, { agents: [createProbeAgent(new ProbeLog())] });

  test('a client on A sees a task queued on B, each event exactly once', async () => {
    const { a, b, serverA, serverB } = two;
    expect(a.realtime.busKind).toBe('redis');
    const onA = await TestSocket.open(serverA.wsUrl, { headers: bearer(a.adminKey) });
    const onB = await TestSocket.open(serverB.wsUrl, { headers: bearer(b.adminKey) });
    try {
      await onA.waitFor((m) => m.type === 'ready');
      await onB.waitFor((m) => m.type === 'ready');
      await onA.request({ type: 'subscribe', channel: 'tasks' });
      await onB.request({ type: 'subscribe', channel: 'tasks' });
      const taskId = await queueTask(b, b.adminKey, 'fan-out');
      // created happens on B, started and completed on A (the only runner): each must reach both clients once.
      for (const socket of [onA, onB]) await socket.waitFor((m) => m.type === 'event' && m.event === 'task.completed' && (m.data as { jobId: string }).jobId === taskId);
      await sleep(300);
      // Events of two instances may interleave, so the count is what is checked, not the order.
      expect(onA.events('tasks', taskId).map((e) => e.event).sort()).toEqual(['task.completed', 'task.created', 'task.started']);
      expect(onB.events('tasks', taskId).map((e) => e.event).sort()).toEqual(['task.completed', 'task.created', 'task.started']);
    } finally {
      onA.close();
      onB.close();
    }
  });
});

describe('failed authentications: one count per client address for HTTP and WebSocket, across instances', () => {
  const two = twoInstances({ RATE_LIMIT_AUTH_FAILURES_MAX: '3', TRUST_PROXY: '1' });
  const madeUp = () => `jrv_${Math.random().toString(16).slice(2, 10).padEnd(16, '0')}_${'y'.repeat(43)}`;
  /** Headers from one client behind the (trusted) proxy. */
  const from = (ip: string, credential?: string) => ({ 'X-Forwarded-For': ip, ...(credential ? bearer(credential) : {}) });

  test('WebSocket failures count toward the HTTP limit and HTTP failures toward the WebSocket one; known keys still pass', async () => {
    const { a, b, serverA, serverB } = two;
    const guesser = '203.0.113.7';
    // The admin key is read once before the guessing starts, so B knows it from memory.
    const warm = await TestSocket.open(serverB.wsUrl, { headers: from(guesser, b.adminKey) });
    await warm.waitFor((m) => m.type === 'ready');
    warm.close();

    const byHeader = await TestSocket.open(serverB.wsUrl, { headers: from(guesser, madeUp()) });
    expect((await byHeader.closed).code).toBe(4001);
    const byMessage = await TestSocket.open(serverB.wsUrl, { headers: from(guesser) });
    byMessage.send({ type: 'auth', apiKey: madeUp() });
    expect((await byMessage.closed).code).toBe(4001);
    await request(a.app).get('/status').set(from(guesser, madeUp())).expect(401);

    // Three failures: the limit. HTTP on A and WebSocket on B now refuse a credential that needs the database.
    const refused = await request(a.app).get('/status').set(from(guesser, madeUp())).expect(429);
    expect(refused.body.error.code).toBe('TOO_MANY_AUTH_FAILURES');
    const blocked = await TestSocket.open(serverB.wsUrl, { headers: from(guesser, madeUp()) });
    expect(await blocked.closed).toMatchObject({ code: 1013, reason: expect.stringMatching(/^too many failed authentications from this address: retry in \d+ s$/) });
    const blockedByMessage = await TestSocket.open(serverA.wsUrl, { headers: from(guesser) });
    blockedByMessage.send({ type: 'auth', apiKey: b.userKey });
    expect((await blockedByMessage.closed).code).toBe(1013);

    // A key already known passes, and so does another address.
    const known = await TestSocket.open(serverB.wsUrl, { headers: from(guesser, b.adminKey) });
    expect(await known.waitFor((m) => m.type === 'ready')).toMatchObject({ principal: { kind: 'api-key' } });
    known.close();
    const other = await TestSocket.open(serverA.wsUrl, { headers: from('203.0.113.8', a.userKey) });
    expect(await other.waitFor((m) => m.type === 'ready')).toMatchObject({ principal: { kind: 'api-key' } });
    other.close();
  });
});
