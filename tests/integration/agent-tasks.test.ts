import { getEventListeners, getMaxListeners } from 'node:events';
import { DB_KINDS } from '../helpers/db';
import { fakeModuleRouter, openAgentSystem, waitFor, waitForTask, type TestAgentSystem } from '../helpers/agent-system';
import type { TaskEvent } from '../../src/control-plane/agents';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';

describe.each(DB_KINDS)('agent tasks on %s', (kind) => {
  let t: TestAgentSystem;
  afterEach(async () => {
    await t?.close();
  });

  it('runs a task to completion and records every state change as an event', async () => {
    t = await openAgentSystem(kind);
    const seen: TaskEvent[] = [];
    t.system.bus.on('event', (e) => seen.push(e));
    const task = await t.system.tasks.enqueue('Probe', { taskType: 'sleep', payload: { ms: 20, label: 'a' }, priority: 'medium' });
    expect(task.status).toBe('queued');
    const done = await waitForTask(t.system, task.id);
    expect(done).toMatchObject({ status: 'completed', result: { slept: 20, label: 'a' }, attempts: 1, progress: 100 });
    const types = (await t.system.tasks.events(task.id)).map((e) => e.type);
    expect(types).toEqual(['task.created', 'task.started', 'task.progress', 'task.completed']);
    await waitFor(async () => seen.some((e) => e.jobId === task.id && e.type === 'task.completed'));
    expect(seen.filter((e) => e.jobId === task.id).map((e) => e.type)).toEqual(expect.arrayContaining(['task.created', 'task.started', 'task.progress', 'task.completed']));
    // Progress is published too (the WebSocket hub forwards it), once stored.
    expect(seen.find((e) => e.jobId === task.id && e.type === 'task.progress')).toMatchObject({ agent: 'Probe', taskType: 'sleep', data: { percent: 50, message: 'half way' } });
  });

  it('starts tasks by priority, FIFO within a level', async () => {
    t = await openAgentSystem(kind, { start: false, config: { maxConcurrentTasks: 1, maxConcurrentPerAgent: 1 } });
    const order = ['low-1', 'medium-1', 'critical-1', 'high-1', 'low-2', 'critical-2', 'medium-2', 'high-2'];
    for (const label of order) {
      await t.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label }, priority: label.split('-')[0] as 'low' });
    }
    await t.system.start();
    await waitFor(async () => t.log.started.length === order.length);
    expect(t.log.started).toEqual(['critical-1', 'critical-2', 'high-1', 'high-2', 'medium-1', 'medium-2', 'low-1', 'low-2']);
  });

  it('writes single enqueues that arrive together in one transaction, in order; a refused one does not hold up the others', async () => {
    t = await openAgentSystem(kind, { start: false, config: { maxConcurrentTasks: 1, maxConcurrentPerAgent: 1 } });
    const labels = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const tasks = await Promise.all(labels.map((label) => t.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label }, priority: 'medium' })));
    const ids = tasks.map((x) => x.id);
    const [distinct] = await t.testDb.db.query<{ n: number | string }>('SELECT count(DISTINCT queued_at) AS n FROM tasks WHERE id = ANY($1::text[])', [ids]);
    expect(Number(distinct?.n)).toBe(1);
    // jsonb refuses NUL: that payload is refused with its field named, the others arriving with it are written.
    const settled = await Promise.allSettled(['before', 'a\u0000b', 'after'].map((label) => t.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label }, priority: 'medium' })));
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ status: 400, message: expect.stringContaining('body.payload') });
    await t.system.start();
    await waitFor(async () => t.log.started.length === 22);
    expect(t.log.started).toEqual([...labels, 'before', 'after']);
    const [created] = await t.testDb.db.query<{ total: number | string }>("SELECT count(*) AS total FROM task_events WHERE type = 'task.created'");
    expect(Number(created?.total)).toBe(22);
  });

  it('runs more than ten tasks at once without a listener-leak warning', async () => {
    t = await openAgentSystem(kind, { config: { maxConcurrentTasks: 14, maxConcurrentPerAgent: 14 } });
    // Node warns (MaxListenersExceededWarning) when a signal holds more abort listeners than its
    // limit; jest's sandbox does not see process warnings, so the condition is checked directly.
    const over: number[] = [];
    const original = EventTarget.prototype.addEventListener;
    const spy = jest.spyOn(EventTarget.prototype, 'addEventListener').mockImplementation(function (this: EventTarget, type, listener, options) {
      original.call(this, type, listener, options);
      if (type === 'abort' && this instanceof AbortSignal) {
        const count = getEventListeners(this, 'abort').length;
        if (count > getMaxListeners(this)) over.push(count);
      }
    });
    try {
      const ids = (await t.system.tasks.enqueueMany('Probe', Array.from({ length: 14 }, (_, i) => ({ taskType: 'sleep', payload: { ms: 300, label: `w${i}` }, priority: 'medium' as const })))).map((x) => x.id);
      await Promise.all(ids.map((id) => waitForTask(t.system, id, 'completed', 20_000)));
      expect(t.log.peakByTag.get('Probe')).toBeGreaterThan(10);
      expect(over).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps to the global and the per-agent concurrency limits', async () => {
    t = await openAgentSystem(kind, { config: { maxConcurrentTasks: 3, maxConcurrentPerAgent: 2 } });
    const ids = (await t.system.tasks.enqueueMany('Probe', Array.from({ length: 8 }, (_, i) => ({ taskType: 'sleep', payload: { ms: 60, label: `s${i}` }, priority: 'medium' as const })))).map((x) => x.id);
    await Promise.all(ids.map((id) => waitForTask(t.system, id, 'completed', 20_000)));
    expect(t.log.peakByTag.get('Probe')).toBe(2);
  });

  it('retries transient failures with growing backoff, and not permanent ones', async () => {
    t = await openAgentSystem(kind, { config: { maxAttempts: 3, retryBaseMs: 100 } });
    const flaky = await t.system.tasks.enqueue('Probe', { taskType: 'flaky', payload: { key: 'k1', failures: 2 }, priority: 'high' });
    const done = await waitForTask(t.system, flaky.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 3, result: { calls: 3 } });
    const [a, b, c] = t.log.flakyCalls.get('k1')!;
    expect(b! - a!).toBeGreaterThanOrEqual(50); // base 100 ms, jittered to [50, 100]
    expect(c! - b!).toBeGreaterThanOrEqual(100); // 200 ms, jittered to [100, 200]
    expect((await t.system.tasks.events(flaky.id)).filter((e) => e.type === 'task.retrying')).toHaveLength(2);

    const exhausted = await t.system.tasks.enqueue('Probe', { taskType: 'flaky', payload: { key: 'k2', failures: 10 }, priority: 'high' });
    expect(await waitForTask(t.system, exhausted.id)).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'DAWG_UNAVAILABLE' } });

    const permanent = await t.system.tasks.enqueue('Probe', { taskType: 'fail', payload: { key: 'k3' }, priority: 'high' });
    expect(await waitForTask(t.system, permanent.id)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'VALIDATION_FAILED' } });
    expect(t.log.flakyCalls.get('k3')).toHaveLength(1);

    // A 503 that says the server is not set up for it (a feature off, a directory not configured) stays so until an operator acts.
    for (const code of ['NOT_CONFIGURED', 'FEATURE_DISABLED', 'COMMAND_NOT_INSTALLED']) {
      const unconfigured = await t.system.tasks.enqueue('Probe', { taskType: 'fail', payload: { key: code, unavailable: code }, priority: 'high' });
      expect(await waitForTask(t.system, unconfigured.id)).toMatchObject({ status: 'failed', attempts: 1, error: { code } });
      expect(t.log.flakyCalls.get(code)).toHaveLength(1);
    }
  });

  it('fails a run that exceeds its timeout, even when the capability ignores the signal', async () => {
    t = await openAgentSystem(kind, { agents: [createProbeAgent(new ProbeLog(), { timeoutMs: 150 })] });
    const slow = await t.system.tasks.enqueue('Probe', { taskType: 'ignore-signal', payload: { ms: 600 }, priority: 'medium' });
    const done = await waitForTask(t.system, slow.id, undefined, 1_500);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'TASK_TIMEOUT' } });
  });

  it('cancels a queued task at once and a running one through its signal', async () => {
    t = await openAgentSystem(kind, { config: { maxConcurrentTasks: 1, maxConcurrentPerAgent: 1 } });
    const running = await t.system.tasks.enqueue('Probe', { taskType: 'sleep', payload: { ms: 5_000, label: 'long' }, priority: 'medium' });
    const queued = await t.system.tasks.enqueue('Probe', { taskType: 'sleep', payload: { ms: 10, label: 'next' }, priority: 'low' });
    await waitForTask(t.system, running.id, 'running');
    expect(await t.system.tasks.cancel('Probe', queued.id)).toMatchObject({ status: 'cancelled' });
    const asked = Date.now();
    const answer = await t.system.tasks.cancel('Probe', running.id);
    expect(answer.cancelRequested).toBe(true);
    const done = await waitForTask(t.system, running.id);
    expect(done).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(t.log.started).not.toContain('next');
    await expect(t.system.tasks.cancel('Probe', running.id)).rejects.toMatchObject({ status: 409 });
  });

  it('passes the cancel through to the DAWG call as an abort', async () => {
    let sawAbort = false;
    const router = fakeModuleRouter({
      'testing.wait': (_params, options) =>
        new Promise((_resolve, reject) => {
          options.signal?.addEventListener('abort', () => {
            sawAbort = true;
            reject(options.signal!.reason);
          });
        }),
    });
    t = await openAgentSystem(kind, { router });
    const task = await t.system.tasks.enqueue('Probe', { taskType: 'dawg', payload: { module: 'testing', action: 'wait' }, priority: 'medium' });
    await waitFor(async () => router.calls.length === 1);
    await t.system.tasks.cancel('Probe', task.id);
    expect(await waitForTask(t.system, task.id)).toMatchObject({ status: 'cancelled' });
    expect(sawAbort).toBe(true);
  });

  it('fails a capability whose module action the DAWG does not offer, naming it', async () => {
    const router = fakeModuleRouter({ 'testing.health-check': async () => ({ status: 'ok' }) });
    t = await openAgentSystem(kind, { router });
    const ok = await t.system.tasks.enqueue('Probe', { taskType: 'dawg', payload: { module: 'testing', action: 'health-check' }, priority: 'medium' });
    expect(await waitForTask(t.system, ok.id)).toMatchObject({ status: 'completed', result: { result: { status: 'ok' } } });
    const mix = await t.system.tasks.enqueue('MixingEngineer', { taskType: 'balance-mix', payload: { projectId: 'p1' }, priority: 'medium' });
    const failed = await waitForTask(t.system, mix.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'MODULE_ACTION_UNAVAILABLE', details: { moduleAction: 'music.balance-levels' } } });
    expect(router.calls.map((c) => `${c.module}.${c.action}`)).toEqual(['testing.health-check']);
  });

  it('settles a task the database says runs here but nothing runs (an outcome write that was lost)', async () => {
    t = await openAgentSystem(kind, { start: false });
    const task = await t.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label: 'lost' }, priority: 'medium' });
    await t.system.start();
    await waitForTask(t.system, task.id, 'completed');
    // As if the completion had never landed: running, on this live worker, for a while.
    await t.testDb.db.query(`UPDATE tasks SET status = 'running', started_at = now() - interval '1 minute', worker_id = $2, result = NULL WHERE id = $1`, [task.id, t.system.workerId]);
    const events = await waitFor(async () => {
      const list = await t!.system.tasks.events(task.id);
      return list.some((e) => e.type === 'task.requeued') && list.filter((e) => e.type === 'task.completed').length === 2 ? list : undefined;
    });
    expect(events.map((e) => e.type)).toContain('task.requeued');
    expect(await waitForTask(t.system, task.id)).toMatchObject({ status: 'completed', result: { label: 'lost' } });
  });

  it('fails a task whose result cannot be stored, without failing the others written with it', async () => {
    t = await openAgentSystem(kind);
    const tasks = await t.system.tasks.enqueueMany('Probe', [
      { taskType: 'noop', payload: { label: 'x' }, priority: 'medium' },
      { taskType: 'bad-result', payload: {}, priority: 'medium' },
      { taskType: 'noop', payload: { label: 'y' }, priority: 'medium' },
    ]);
    const [a, bad, b] = await Promise.all(tasks.map((x) => waitForTask(t!.system, x.id)));
    expect(a).toMatchObject({ status: 'completed' });
    expect(b).toMatchObject({ status: 'completed' });
    expect(bad).toMatchObject({ status: 'failed', error: { code: 'RESULT_NOT_STORABLE' } });
  });

  it('rejects unknown agents, task types and bad payloads with the field named', async () => {
    t = await openAgentSystem(kind, { start: false });
    await expect(t.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label: 'a\u0000b' }, priority: 'low' })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'body.payload', message: expect.stringContaining('NUL') })] },
    });
    await expect(t.system.tasks.enqueue('Nobody', { taskType: 'noop', payload: {}, priority: 'low' })).rejects.toMatchObject({ status: 404, code: 'AGENT_NOT_FOUND' });
    await expect(t.system.tasks.enqueue('Probe', { taskType: 'dance', payload: {}, priority: 'low' })).rejects.toMatchObject({
      status: 400,
      details: { issues: [{ field: 'body.taskType', message: expect.stringContaining('noop') }], validTaskTypes: expect.arrayContaining(['noop', 'sleep']) },
    });
    await expect(t.system.tasks.enqueue('Probe', { taskType: 'sleep', payload: { ms: 'x' }, priority: 'low' })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'body.payload.ms' })] },
    });
  });
});

describe('queues of several schemas in one PostgreSQL database', () => {
  it('installing the queue of another schema does not stop a running one', async () => {
    const a = await openAgentSystem('postgres');
    const b = await openAgentSystem('postgres', { start: false }); // installs a fresh queue schema: breaking migrations included
    try {
      const task = await a.system.tasks.enqueue('Probe', { taskType: 'noop', payload: { label: 'after' }, priority: 'medium' });
      expect(await waitForTask(a.system, task.id, undefined, 5_000)).toMatchObject({ status: 'completed' });
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
