import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { z } from 'zod';
import { createDefaultAgents, type ScheduleRecord, type TaskEventRecord, type TaskRecord, type TaskStatus, type WorkflowView } from '../../src/control-plane/agents';
import {
  agentListSchema,
  agentStatsSchema,
  createdTaskSchema,
  createdWorkflowSchema,
  jobSchema,
  scheduleSchema,
  taskDetailSchema,
  taskListSchema,
  taskSchema,
  workflowSchema,
} from '../../src/control-plane/http/agent-schemas';
import { waitFor } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { openTestDb, type TestDb } from '../helpers/db';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';
import { startDawg, type TestDawg } from '../helpers/servers';

/**
 * Fast queue timings; two Probe tasks at a time, so two long ones keep the next one queued;
 * rate limits high enough that polling over HTTP is never throttled.
 */
const TEST_ENV = {
  AGENT_MAX_CONCURRENT_PER_AGENT: '2',
  AGENT_HEARTBEAT_MS: '200',
  AGENT_WORKER_STALE_MS: '1000',
  AGENT_QUEUE_POLL_MS: '200',
  AGENT_RETRY_BASE_MS: '50',
  AGENT_SCHEDULE_TICK_MS: '100',
  RATE_LIMIT_DEFAULT_MAX: '100000',
  RATE_LIMIT_CHATGPT_MAX: '100000',
};
const REAL_AGENTS = ['MixingEngineer', 'DataScientist', 'DevOpsEngineer', 'MarketingStrategist', 'CreativeDirector', 'QualityAssurance'];
const PROBE_TASK_TYPES = createProbeAgent(new ProbeLog()).capabilityNames;
const TERMINAL = new Set<TaskStatus>(['completed', 'failed', 'cancelled']);

type TaskDetail = TaskRecord & { events: TaskEventRecord[] };

let dawg: TestDawg;
let testDb: TestDb;
let plane: TestPlane;

beforeAll(async () => {
  dawg = await startDawg();
  // Opened here rather than by startTestPlane so the probe agent can be given the same db.
  testDb = await openTestDb('postgres');
  plane = await startTestPlane({
    kind: 'postgres',
    testDb,
    runTasks: true,
    agents: [createProbeAgent(new ProbeLog(), { db: testDb.db }), ...createDefaultAgents()],
    env: { ...TEST_ENV, AI_DAWG_BACKEND_URL: dawg.url },
  });
});

afterAll(async () => {
  await plane?.stop();
  await testDb?.drop();
  await dawg?.close();
});

/** Requests as an ordinary API key (integration tier, which every route here needs). */
function api(target: TestPlane = plane) {
  const auth = { authorization: `Bearer ${target.userKey}` };
  return {
    get: (path: string) => request(target.app).get(path).set(auth),
    post: (path: string, body: object = {}) => request(target.app).post(path).set(auth).send(body),
    del: (path: string) => request(target.app).delete(path).set(auth),
  };
}

/** Asserts that `body` matches the route's documented response schema, showing the zod issues if not. */
function expectShape(schema: z.ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
}

/** A 400 whose details name `field` among its issues. */
function expectFieldError(res: request.Response, field: string): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: { code: 'VALIDATION_FAILED', message: expect.any(String), details: expect.any(Object) } });
  expect(res.body.error.details.issues).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
}

function expectError(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
}

async function queueTask(agent: string, body: object): Promise<string> {
  const res = await api().post(`/api/v1/agents/${agent}/tasks`, body).expect(202);
  return (res.body as z.infer<typeof createdTaskSchema>).taskId;
}

/** Polls the task over HTTP until it has ended (or reached `status`). */
async function waitForTaskStatus(agent: string, id: string, status?: TaskStatus, timeoutMs = 10_000): Promise<TaskDetail> {
  return waitFor(
    async () => {
      const res = await api().get(`/api/v1/agents/${agent}/tasks/${id}`).expect(200);
      const task = res.body as TaskDetail;
      return (status ? task.status === status : TERMINAL.has(task.status)) ? task : undefined;
    },
    timeoutMs,
    `task ${id} to be ${status ?? 'done'}`,
  );
}

async function waitForWorkflow(id: string, done: (wf: WorkflowView) => boolean, what: string): Promise<WorkflowView> {
  return waitFor(
    async () => {
      const wf = (await api().get(`/api/v1/workflows/${id}`).expect(200)).body as WorkflowView;
      return done(wf) ? wf : undefined;
    },
    10_000,
    what,
  );
}

const stepOf = (wf: WorkflowView, key: string): TaskRecord => wf.steps.find((s) => s.stepKey === key)!;

describe('authentication', () => {
  it('answers 401 without credentials', async () => {
    const res = await request(plane.app).get('/api/v1/agents');
    expectError(res, 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/v1/agents and /api/v1/agents/stats', () => {
  it('lists the six agents and Probe, each capability with name, description, requiredModules, estimatedDuration', async () => {
    const res = await api().get('/api/v1/agents').expect(200);
    expectShape(agentListSchema, res.body);
    const agents = (res.body as z.infer<typeof agentListSchema>).agents;
    expect(agents.map((a) => a.name).sort()).toEqual(['Probe', ...REAL_AGENTS].sort());
    expect(agents.find((a) => a.name === 'Probe')!.capabilities.map((c) => c.name)).toEqual(PROBE_TASK_TYPES);
    for (const agent of agents.filter((a) => a.name !== 'Probe')) {
      expect(agent.description).not.toBe('');
      expect(agent.capabilities.length).toBeGreaterThan(0);
      for (const cap of agent.capabilities) {
        expect(cap).toEqual({ name: expect.any(String), description: expect.any(String), requiredModules: expect.any(Array), estimatedDuration: expect.any(Number) });
        // deploy-to-catalog works in the control plane only (the catalog), reading the DAWG's file store.
        if (cap.name !== 'deploy-to-catalog') expect(cap.requiredModules.length).toBeGreaterThan(0);
      }
    }
    const qa = agents.find((a) => a.name === 'QualityAssurance')!;
    expect(qa.capabilities).toContainEqual({ name: 'system-health-check', description: expect.any(String), requiredModules: ['testing'], estimatedDuration: 5 });
  });

  it('reports counts per agent and status, and the counts move once a task has run', async () => {
    const probeStats = async () => {
      const res = await api().get('/api/v1/agents/stats').expect(200);
      expectShape(agentStatsSchema, res.body);
      const body = res.body as z.infer<typeof agentStatsSchema>;
      expect(body.agents.map((a) => a.name).sort()).toEqual(['Probe', ...REAL_AGENTS].sort());
      expect(body.instance).toEqual({ workerId: expect.stringMatching(/.+/), running: expect.any(Number), maxConcurrentTasks: 10, maxConcurrentPerAgent: 2 });
      return body.agents.find((a) => a.name === 'Probe')!;
    };
    const before = await probeStats();
    expect(before).toEqual({
      name: 'Probe',
      totalTasks: expect.any(Number),
      waiting: expect.any(Number),
      queued: expect.any(Number),
      running: expect.any(Number),
      completed: expect.any(Number),
      failed: expect.any(Number),
      cancelled: expect.any(Number),
      capabilities: PROBE_TASK_TYPES,
    });
    const id = await queueTask('Probe', { taskType: 'noop', payload: { label: 'stats' } });
    await waitForTaskStatus('Probe', id, 'completed');
    const after = await probeStats();
    expect(after.totalTasks).toBe(Number(before.totalTasks) + 1);
    expect(after.completed).toBe(Number(before.completed) + 1);
  });
});

describe('POST /api/v1/agents/:name/tasks and reading a task', () => {
  it('queues a task (202 + Location), runs it, and shows it under the task and the job routes', async () => {
    const res = await api().post('/api/v1/agents/Probe/tasks', { taskType: 'sleep', payload: { ms: 20, label: 'http' }, priority: 'high' }).expect(202);
    expectShape(createdTaskSchema, res.body);
    const { taskId } = res.body as z.infer<typeof createdTaskSchema>;
    expect(taskId).toMatch(/^tsk_[0-9a-f-]{36}$/);
    expect(res.body).toEqual({ success: true, taskId, status: 'queued', jobUrl: `/integrations/chatgpt/jobs/${taskId}`, message: expect.any(String) });
    expect(res.headers.location).toBe(`/api/v1/agents/Probe/tasks/${taskId}`);

    const task = await waitForTaskStatus('Probe', taskId);
    expectShape(taskDetailSchema, task);
    expect(task).toMatchObject({
      id: taskId,
      agent: 'Probe',
      taskType: 'sleep',
      priority: 'high',
      status: 'completed',
      payload: { ms: 20, label: 'http' },
      result: { slept: 20, label: 'http' },
      attempts: 1,
      progress: 100,
      cancelRequested: false,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(task.error).toBeUndefined();
    expect(task.events.map((e) => e.type)).toEqual(['task.created', 'task.started', 'task.progress', 'task.completed']);
    expect(task.events[2]).toMatchObject({ id: expect.any(Number), data: { percent: 50, message: 'half way' }, at: expect.any(String) });

    const job = await api().get(`/integrations/chatgpt/jobs/${taskId}`).expect(200);
    expectShape(jobSchema, job.body);
    expect(job.body).toMatchObject({ jobId: taskId, kind: 'task', id: taskId, status: 'completed', result: { slept: 20, label: 'http' } });
    expect((job.body as TaskDetail).events.map((e) => e.type)).toEqual(task.events.map((e) => e.type));
  });

  it('defaults priority to medium and payload defaults come from the capability schema', async () => {
    const id = await queueTask('Probe', { taskType: 'noop' });
    const task = await waitForTaskStatus('Probe', id, 'completed');
    expect(task).toMatchObject({ priority: 'medium', payload: { label: '' }, result: { label: '' } });
  });

  it('answers 404 AGENT_NOT_FOUND for an unknown agent, listing the agents', async () => {
    const res = await api().post('/api/v1/agents/Nobody/tasks', { taskType: 'noop' });
    expectError(res, 404, 'AGENT_NOT_FOUND');
    expect([...res.body.error.details.agents].sort()).toEqual(['Probe', ...REAL_AGENTS].sort());
    expectError(await api().get('/api/v1/agents/Nobody/tasks'), 404, 'AGENT_NOT_FOUND');
  });

  it('answers 400 for an unknown taskType, listing the valid ones', async () => {
    const res = await api().post('/api/v1/agents/Probe/tasks', { taskType: 'juggle' });
    expectFieldError(res, 'body.taskType');
    expect(res.body.error.details.validTaskTypes).toEqual(PROBE_TASK_TYPES);
  });

  it.each([
    ['a payload field of the wrong type', { taskType: 'sleep', payload: { ms: 'soon' } }, 'body.payload.ms'],
    ['a missing payload field', { taskType: 'sleep', payload: {} }, 'body.payload.ms'],
    ['an unknown payload field', { taskType: 'noop', payload: { extra: 1 } }, 'body.payload.extra'],
    ['an unknown body key', { taskType: 'noop', colour: 'red' }, 'body.colour'],
    ['a bad priority', { taskType: 'noop', priority: 'urgent' }, 'body.priority'],
    ['a missing taskType', { payload: {} }, 'body.taskType'],
    ['a payload that is not an object', { taskType: 'noop', payload: [1] }, 'body.payload'],
  ])('answers 400 naming the field for %s', async (_what, body, field) => {
    expectFieldError(await api().post('/api/v1/agents/Probe/tasks', body), field);
  });

  it('answers 400 naming params.name for a malformed agent name', async () => {
    expectFieldError(await api().post('/api/v1/agents/not-an-agent!/tasks', { taskType: 'noop' }), 'params.name');
  });

  it('answers 400 naming params.id for a malformed task id', async () => {
    expectFieldError(await api().get('/api/v1/agents/Probe/tasks/not-a-task'), 'params.id');
    expectFieldError(await api().post('/api/v1/agents/Probe/tasks/tsk_123/cancel'), 'params.id');
    expectFieldError(await api().get('/integrations/chatgpt/jobs/job_123'), 'params.jobId');
  });

  it('answers 404 for a well-formed but unknown task or job id', async () => {
    const id = `tsk_${randomUUID()}`;
    expectError(await api().get(`/api/v1/agents/Probe/tasks/${id}`), 404, 'TASK_NOT_FOUND');
    expectError(await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`), 404, 'TASK_NOT_FOUND');
    expectError(await api().get(`/integrations/chatgpt/jobs/${id}`), 404, 'JOB_NOT_FOUND');
  });

  it('answers 404 for a task asked for under another agent', async () => {
    const id = await queueTask('Probe', { taskType: 'noop', payload: { label: 'mine' } });
    expectError(await api().get(`/api/v1/agents/QualityAssurance/tasks/${id}`), 404, 'TASK_NOT_FOUND');
    expectError(await api().post(`/api/v1/agents/QualityAssurance/tasks/${id}/cancel`), 404, 'TASK_NOT_FOUND');
    await waitForTaskStatus('Probe', id, 'completed');
  });
});

describe('tasks are visible to the key that queued them, and to admins', () => {
  it('another key gets 404 for the task, its job and its cancel, and does not see it listed; an admin sees it', async () => {
    const other = (await plane.apiKeys.create(`other-${randomUUID().slice(0, 8)}`, [])).key;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const id = await queueTask('Probe', { taskType: 'noop', payload: { label: 'private' } });
    const wf = (await api().post('/api/v1/workflows', { name: 'private wf', steps: [{ key: 'a', agent: 'Probe', taskType: 'noop', payload: { label: 'wf-private' } }] }).expect(202)).body as { workflowId: string };
    await waitForTaskStatus('Probe', id, 'completed');

    expectError(await request(plane.app).get(`/api/v1/agents/Probe/tasks/${id}`).set(as(other)), 404, 'TASK_NOT_FOUND');
    expectError(await request(plane.app).get(`/integrations/chatgpt/jobs/${id}`).set(as(other)), 404, 'JOB_NOT_FOUND');
    expectError(await request(plane.app).post(`/api/v1/agents/Probe/tasks/${id}/cancel`).set(as(other)), 404, 'TASK_NOT_FOUND');
    expectError(await request(plane.app).get(`/api/v1/workflows/${wf.workflowId}`).set(as(other)), 404, 'WORKFLOW_NOT_FOUND');
    expectError(await request(plane.app).post(`/api/v1/workflows/${wf.workflowId}/cancel`).set(as(other)), 404, 'WORKFLOW_NOT_FOUND');
    const listed = (await request(plane.app).get('/api/v1/agents/Probe/tasks?limit=500').set(as(other)).expect(200)).body as { tasks: TaskRecord[] };
    expect(listed.tasks).toEqual([]);

    const mine = (await api().get('/api/v1/agents/Probe/tasks?limit=500').expect(200)).body as { tasks: TaskRecord[] };
    expect(mine.tasks.map((t) => t.id)).toContain(id);
    await request(plane.app).get(`/api/v1/agents/Probe/tasks/${id}`).set(as(plane.adminKey)).expect(200);
    await request(plane.app).get(`/integrations/chatgpt/jobs/${wf.workflowId}`).set(as(plane.adminKey)).expect(200);
    const all = (await request(plane.app).get('/api/v1/agents/Probe/tasks?limit=500').set(as(plane.adminKey)).expect(200)).body as { tasks: TaskRecord[] };
    expect(all.tasks.map((t) => t.id)).toContain(id);
  });

  it('schedules too: another key neither lists nor deletes one; the creator and admins do', async () => {
    const other = (await plane.apiKeys.create(`other-${randomUUID().slice(0, 8)}`, [])).key;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    // Hourly: no slot fires during the test.
    const created = (await api().post('/api/v1/schedules', { name: `private-${randomUUID()}`, cron: '0 * * * *', agent: 'Probe', taskType: 'noop', payload: { label: 'p' } }).expect(201)).body as ScheduleRecord;
    const listedBy = async (key: string) => ((await request(plane.app).get('/api/v1/schedules').set(as(key)).expect(200)).body as { schedules: ScheduleRecord[] }).schedules.map((x) => x.id);
    expect(await listedBy(other)).not.toContain(created.id);
    expect(await listedBy(plane.userKey)).toContain(created.id);
    expect(await listedBy(plane.adminKey)).toContain(created.id);
    expectError(await request(plane.app).delete(`/api/v1/schedules/${created.id}`).set(as(other)), 404, 'SCHEDULE_NOT_FOUND');
    await api().del(`/api/v1/schedules/${created.id}`).expect(204);
  });

  it('schedule names are unique per key: another key may use a name taken by someone else', async () => {
    const other = (await plane.apiKeys.create(`other-${randomUUID().slice(0, 8)}`, [])).key;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const body = { name: `daily-report-${randomUUID()}`, cron: '0 9 * * *', agent: 'Probe', taskType: 'noop', payload: { label: 'mine' } };
    const mine = (await api().post('/api/v1/schedules', body).expect(201)).body as ScheduleRecord;
    const theirs = (await request(plane.app).post('/api/v1/schedules').set(as(other)).send({ ...body, payload: { label: 'theirs' } }).expect(201)).body as ScheduleRecord;
    expect(theirs.id).not.toBe(mine.id);
    // Their own second one with that name is still a conflict.
    expectError(await request(plane.app).post('/api/v1/schedules').set(as(other)).send(body), 409, 'CONFLICT');
    await api().del(`/api/v1/schedules/${mine.id}`).expect(204);
    await request(plane.app).delete(`/api/v1/schedules/${theirs.id}`).set(as(other)).expect(204);
  });
});

describe('GET /api/v1/agents/:name/tasks', () => {
  it('filters by status and keeps to the limit, newest first', async () => {
    const ids: string[] = [];
    for (const label of ['l1', 'l2', 'l3']) ids.push(await queueTask('Probe', { taskType: 'noop', payload: { label } }));
    const failed = await queueTask('Probe', { taskType: 'fail', payload: { key: 'list' } });
    await Promise.all([...ids, failed].map((id) => waitForTaskStatus('Probe', id)));

    const res = await api().get('/api/v1/agents/Probe/tasks?status=completed&limit=2').expect(200);
    expectShape(taskListSchema, res.body);
    const { tasks } = res.body as { tasks: TaskRecord[] };
    expect(tasks.map((t) => t.id)).toEqual([ids[2], ids[1]]);
    expect(tasks.every((t) => t.status === 'completed' && t.agent === 'Probe')).toBe(true);

    const onlyFailed = (await api().get('/api/v1/agents/Probe/tasks?status=failed').expect(200)).body as { tasks: TaskRecord[] };
    expect(onlyFailed.tasks.map((t) => t.id)).toContain(failed);
    expect(onlyFailed.tasks.every((t) => t.status === 'failed')).toBe(true);
    expect(onlyFailed.tasks.find((t) => t.id === failed)).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: 'the probe refuses' }, attempts: 1 });
  });

  it('answers an empty list for an agent without tasks', async () => {
    const res = await api().get('/api/v1/agents/DataScientist/tasks').expect(200);
    expect(res.body).toEqual({ tasks: [] });
  });

  it.each([
    ['status=done', 'query.status'],
    ['limit=0', 'query.limit'],
    ['limit=501', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['limit=1.5', 'query.limit'],
    ['sort=asc', 'query.sort'],
  ])('answers 400 for ?%s naming %s', async (query, field) => {
    expectFieldError(await api().get(`/api/v1/agents/Probe/tasks?${query}`), field);
  });

  it.each([
    ['limit=0', 'Too small: expected number to be >=1'],
    ['limit=501', 'Too big: expected number to be <=500'],
    ['limit=abc', 'must be a number'],
    ['limit=1.5', 'must be a whole number'],
  ])('says what is wrong with ?%s: %s', async (query, message) => {
    const res = await api().get(`/api/v1/agents/Probe/tasks?${query}`).expect(400);
    expect(res.body.error.details.issues).toEqual([{ field: 'query.limit', message }]);
  });
});

describe('POST /api/v1/agents/:name/tasks/:id/cancel', () => {
  it('cancels a queued task at once (200), then answers 409', async () => {
    const block = (label: string) => queueTask('Probe', { taskType: 'sleep', payload: { ms: 5_000, label } });
    const blockers = [await block('block-1'), await block('block-2')];
    try {
      await Promise.all(blockers.map((b) => waitForTaskStatus('Probe', b, 'running')));
      const id = await queueTask('Probe', { taskType: 'noop' });
      const res = await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`).expect(200);
      expectShape(taskSchema, res.body);
      expect(res.body).toMatchObject({ id, status: 'cancelled', cancelRequested: false, error: { code: 'CANCELLED' }, finishedAt: expect.any(String), attempts: 0 });
      expect(res.body.startedAt).toBeUndefined();
      const detail = (await api().get(`/api/v1/agents/Probe/tasks/${id}`).expect(200)).body as TaskDetail;
      expect(detail.events.map((e) => e.type)).toEqual(['task.created', 'task.cancelled']);
      const again = await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`);
      expectError(again, 409, 'CONFLICT');
      expect(again.body.error.details).toEqual({ status: 'cancelled' });
    } finally {
      // Free Probe's two slots for the tests that follow.
      for (const b of blockers) await api().post(`/api/v1/agents/Probe/tasks/${b}/cancel`);
      await Promise.all(blockers.map((b) => waitForTaskStatus('Probe', b)));
    }
  });

  it('asks a running task to stop (202, cancelRequested), which then ends cancelled quickly; again → 409', async () => {
    const id = await queueTask('Probe', { taskType: 'sleep', payload: { ms: 5_000, label: 'long' } });
    await waitForTaskStatus('Probe', id, 'running');
    const asked = Date.now();
    const res = await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`).expect(202);
    expectShape(taskSchema, res.body);
    expect(res.body).toMatchObject({ id, status: 'running', cancelRequested: true });

    const done = await waitForTaskStatus('Probe', id, undefined, 3_000);
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect(done).toMatchObject({ status: 'cancelled', cancelRequested: true, error: { code: 'CANCELLED' } });
    expect(done.result).toBeUndefined();
    expect(done.events.map((e) => e.type)).toEqual(expect.arrayContaining(['task.started', 'task.cancel_requested', 'task.cancelled']));
    expectError(await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`), 409, 'CONFLICT');
  });

  it('answers 409 for a task that has completed', async () => {
    const id = await queueTask('Probe', { taskType: 'noop' });
    await waitForTaskStatus('Probe', id, 'completed');
    const res = await api().post(`/api/v1/agents/Probe/tasks/${id}/cancel`);
    expectError(res, 409, 'CONFLICT');
    expect(res.body.error.details).toEqual({ status: 'completed' });
  });
});

describe('the real agents against a real AI DAWG', () => {
  it('QualityAssurance system-health-check completes with the DAWG health-check result', async () => {
    const id = await queueTask('QualityAssurance', { taskType: 'system-health-check' });
    const task = await waitForTaskStatus('QualityAssurance', id);
    expect(task).toMatchObject({ status: 'completed', attempts: 1, agent: 'QualityAssurance', taskType: 'system-health-check' });
    expect(task.result).toEqual({
      health: expect.objectContaining({ status: 'ok', uptimeSeconds: expect.any(Number), modules: expect.arrayContaining(['testing']), memory: expect.any(Object) }),
    });
  });

  it('MixingEngineer balance-mix fails at once with MODULE_ACTION_UNAVAILABLE naming music.balance-levels', async () => {
    const id = await queueTask('MixingEngineer', { taskType: 'balance-mix', payload: { projectId: 'p1' } });
    const task = await waitForTaskStatus('MixingEngineer', id);
    expect(task).toMatchObject({
      status: 'failed',
      attempts: 1,
      payload: { projectId: 'p1', targetLUFS: -14 },
      error: {
        code: 'MODULE_ACTION_UNAVAILABLE',
        message: expect.stringContaining('music.balance-levels'),
        details: { moduleAction: 'music.balance-levels', availableModules: ['testing'] },
      },
    });
    expect(task.events.filter((e) => e.type === 'task.started')).toHaveLength(1);
  });
});

describe('workflows', () => {
  const echo = (key: string, extra: object = {}) => ({ key, agent: 'Probe', taskType: 'echo', payload: { value: key }, ...extra });

  it('runs a → b → c, handing a’s value through the inputs, and shows every step', async () => {
    const res = await api()
      .post('/api/v1/workflows', {
        name: 'hand-over',
        steps: [
          echo('a', { payload: { value: 'from-a' } }),
          echo('b', { dependsOn: ['a'], inputs: { value: 'a.value' }, payload: {} }),
          echo('c', { dependsOn: ['b'], inputs: { value: 'b.value' }, payload: { label: 'last' } }),
        ],
      })
      .expect(202);
    expectShape(createdWorkflowSchema, res.body);
    const { workflowId, taskIds } = res.body as z.infer<typeof createdWorkflowSchema>;
    expect(workflowId).toMatch(/^wf_[0-9a-f-]{36}$/);
    expect(res.body).toEqual({ success: true, workflowId, taskIds: { a: expect.any(String), b: expect.any(String), c: expect.any(String) }, jobUrl: `/integrations/chatgpt/jobs/${workflowId}` });

    const wf = await waitForWorkflow(workflowId, (w) => w.status !== 'running', 'the workflow to end');
    expectShape(workflowSchema, wf);
    expect(wf).toMatchObject({ jobId: workflowId, kind: 'workflow', name: 'hand-over', status: 'completed', result: { c: { value: 'from-a' } }, finishedAt: expect.any(String) });
    expect(wf.error).toBeUndefined();
    // Sorted: the steps of one workflow share created_at, so the API's order among them is arbitrary.
    expect(wf.steps.map((s) => [s.stepKey, s.status, s.id]).sort()).toEqual([
      ['a', 'completed', taskIds.a],
      ['b', 'completed', taskIds.b],
      ['c', 'completed', taskIds.c],
    ]);
    expect(stepOf(wf, 'b')).toMatchObject({ workflowId, dependsOn: ['a'], payload: { value: 'from-a', label: '' }, result: { value: 'from-a' } });
    expect(stepOf(wf, 'c')).toMatchObject({ dependsOn: ['b'], payload: { value: 'from-a', label: 'last' }, result: { value: 'from-a' } });

    const job = await api().get(`/integrations/chatgpt/jobs/${workflowId}`).expect(200);
    expectShape(jobSchema, job.body);
    expect(job.body).toEqual(wf);
    // A step is also a task of its agent.
    expect((await api().get(`/api/v1/agents/Probe/tasks/${taskIds.c}`).expect(200)).body).toMatchObject({ workflowId, stepKey: 'c' });
  });

  it.each([
    ['a cycle', [echo('a', { dependsOn: ['b'] }), echo('b', { dependsOn: ['a'] })], 'body.steps'],
    ['an unknown dependsOn', [echo('a'), echo('b', { dependsOn: ['a', 'zzz'] })], 'body.steps.1.dependsOn.1'],
    ['a step depending on itself', [echo('a', { dependsOn: ['a'] })], 'body.steps.0.dependsOn.0'],
    ['a duplicate key', [echo('a'), echo('a')], 'body.steps.1.key'],
    ['an input from a step not depended on', [echo('a'), echo('b'), echo('c', { dependsOn: ['a'], inputs: { value: 'b.value' } })], 'body.steps.2.inputs.value'],
    ['an unknown agent', [echo('a'), { key: 'b', agent: 'Nobody', taskType: 'noop' }], 'body.steps.1.agent'],
    ['an unknown taskType', [{ key: 'a', agent: 'Probe', taskType: 'juggle' }], 'body.steps.0.taskType'],
    ['an invalid payload of a ready step', [{ key: 'a', agent: 'Probe', taskType: 'sleep', payload: { ms: -1 } }], 'body.steps.0.payload.ms'],
    ['an invalid payload of a step that also takes inputs', [echo('a'), { key: 'b', agent: 'Probe', taskType: 'echo', payload: { label: 7 }, dependsOn: ['a'], inputs: { value: 'a.value' } }], 'body.steps.1.payload.label'],
    ['a malformed step key', [echo('Step_A')], 'body.steps.0.key'],
    ['an unknown step field', [echo('a', { retries: 3 })], 'body.steps.0.retries'],
    ['no steps', [], 'body.steps'],
  ])('answers 400 naming the field for %s', async (_what, steps, field) => {
    expectFieldError(await api().post('/api/v1/workflows', { name: 'bad', steps }), field);
  });

  it('lists the valid task types when a step names an unknown one', async () => {
    const res = await api().post('/api/v1/workflows', { name: 'bad', steps: [{ key: 'a', agent: 'Probe', taskType: 'juggle' }] });
    expect(res.body.error.details.validTaskTypes).toEqual(PROBE_TASK_TYPES);
  });

  it('fails when its first step fails, cancelling the later steps', async () => {
    const res = await api()
      .post('/api/v1/workflows', {
        name: 'doomed',
        steps: [
          { key: 'a', agent: 'Probe', taskType: 'fail', payload: { key: 'wf-fail' } },
          { key: 'b', agent: 'Probe', taskType: 'noop', dependsOn: ['a'] },
          { key: 'c', agent: 'Probe', taskType: 'noop', dependsOn: ['b'] },
        ],
      })
      .expect(202);
    const { workflowId, taskIds } = res.body as z.infer<typeof createdWorkflowSchema>;
    const wf = await waitForWorkflow(workflowId, (w) => w.status !== 'running', 'the workflow to end');
    expect(wf).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED', details: { step: 'a', taskId: taskIds.a } }, finishedAt: expect.any(String) });
    expect(wf.result).toBeUndefined();
    expect(stepOf(wf, 'a')).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_FAILED' } });
    for (const key of ['b', 'c']) expect(stepOf(wf, key)).toMatchObject({ status: 'cancelled', attempts: 0, error: { code: 'WORKFLOW_ENDED' } });
  });

  it('cancels a running workflow (its running step stops), then answers 409', async () => {
    const res = await api()
      .post('/api/v1/workflows', {
        name: 'to-cancel',
        steps: [
          { key: 'a', agent: 'Probe', taskType: 'sleep', payload: { ms: 5_000, label: 'wf-long' } },
          { key: 'b', agent: 'Probe', taskType: 'noop', dependsOn: ['a'] },
        ],
      })
      .expect(202);
    const { workflowId } = res.body as z.infer<typeof createdWorkflowSchema>;
    await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status === 'running', 'step a to run');

    const cancelled = await api().post(`/api/v1/workflows/${workflowId}/cancel`).expect(200);
    expectShape(workflowSchema, cancelled.body);
    const view = cancelled.body as WorkflowView;
    expect(view).toMatchObject({ jobId: workflowId, status: 'cancelled', error: { code: 'WORKFLOW_CANCELLED' } });
    expect(stepOf(view, 'a').cancelRequested).toBe(true);
    expect(stepOf(view, 'b')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED' } });

    const settled = await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status !== 'running', 'step a to stop');
    expect(stepOf(settled, 'a')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED', message: 'Workflow cancelled' } });
    expect(settled.status).toBe('cancelled');

    const again = await api().post(`/api/v1/workflows/${workflowId}/cancel`);
    expectError(again, 409, 'CONFLICT');
    expect(again.body.error.details).toEqual({ status: 'cancelled' });
  });

  it('cancels a running step even when another transaction holds its row at that moment', async () => {
    const res = await api()
      .post('/api/v1/workflows', { name: 'held', steps: [{ key: 'a', agent: 'Probe', taskType: 'sleep', payload: { ms: 5_000, label: 'wf-held' } }] })
      .expect(202);
    const { workflowId, taskIds } = res.body as z.infer<typeof createdWorkflowSchema>;
    await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status === 'running', 'step a to run');

    // What a progress report does for a moment: hold the step's row.
    let release!: () => void;
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = testDb.db.transaction(async (tx) => {
      await tx.query('SELECT id FROM tasks WHERE id = $1 FOR UPDATE', [taskIds.a]);
      held();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isHeld;
    // then() sends it now; supertest would otherwise wait until awaited.
    const cancelling = api().post(`/api/v1/workflows/${workflowId}/cancel`).then((r) => r);
    await sleep(300);
    release();
    await holder;

    const cancelled = await cancelling;
    expect(cancelled.status).toBe(200);
    expect(stepOf(cancelled.body as WorkflowView, 'a').cancelRequested).toBe(true);
    const settled = await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status !== 'running', 'step a to stop');
    expect(stepOf(settled, 'a')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED', message: 'Workflow cancelled' } });
  });

  it('stops a running step of a workflow that ended without asking it (its worker’s heartbeat does)', async () => {
    const res = await api()
      .post('/api/v1/workflows', { name: 'unasked', steps: [{ key: 'a', agent: 'Probe', taskType: 'sleep', payload: { ms: 5_000, label: 'wf-unasked' } }] })
      .expect(202);
    const { workflowId } = res.body as z.infer<typeof createdWorkflowSchema>;
    await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status === 'running', 'step a to run');
    // The state a workflow's end leaves when it had to skip a step's row: ended, step not asked.
    await testDb.db.query(`UPDATE workflows SET status = 'failed', finished_at = now() WHERE id = $1`, [workflowId]);

    // Left alone it would complete after 5 s.
    const settled = await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status !== 'running', 'step a to stop');
    expect(stepOf(settled, 'a')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED', message: 'Workflow failed' } });
  });

  it('stops a running step when another step fails, saying the workflow failed (not "cancelled on request")', async () => {
    const res = await api()
      .post('/api/v1/workflows', {
        name: 'sibling-fails',
        steps: [
          { key: 'a', agent: 'Probe', taskType: 'sleep', payload: { ms: 5_000, label: 'wf-sibling' } },
          { key: 'f', agent: 'Probe', taskType: 'fail', payload: { key: 'wf-sibling' } },
        ],
      })
      .expect(202);
    const { workflowId } = res.body as z.infer<typeof createdWorkflowSchema>;
    const settled = await waitForWorkflow(workflowId, (w) => w.status === 'failed' && stepOf(w, 'a').status !== 'running', 'the workflow to fail and step a to stop');
    expect(settled.error).toMatchObject({ code: 'STEP_FAILED', details: { step: 'f' } });
    expect(stepOf(settled, 'f')).toMatchObject({ status: 'failed', error: { code: 'VALIDATION_FAILED' } });
    expect(stepOf(settled, 'a')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED', message: 'Workflow failed' } });
  });

  it('does not resume an interrupted step of a workflow that has ended', async () => {
    const res = await api().post('/api/v1/workflows', { name: 'ended-then-lost', steps: [echo('a')] }).expect(202);
    const { workflowId, taskIds } = res.body as z.infer<typeof createdWorkflowSchema>;
    await waitForWorkflow(workflowId, (w) => w.status === 'completed', 'the workflow to complete');
    // As if this instance had lost the step's run after its workflow ended: running here, for a while, not running.
    await testDb.db.query(`UPDATE workflows SET status = 'failed', finished_at = now() WHERE id = $1`, [workflowId]);
    await testDb.db.query(`UPDATE tasks SET status = 'running', started_at = now() - interval '1 minute', worker_id = $2, result = NULL WHERE id = $1`, [
      taskIds.a,
      plane.agents!.workerId,
    ]);
    const settled = await waitForWorkflow(workflowId, (w) => stepOf(w, 'a').status !== 'running', 'the heartbeat to settle step a');
    expect(stepOf(settled, 'a')).toMatchObject({ status: 'cancelled', error: { code: 'WORKFLOW_ENDED', message: 'Workflow failed' } });
    const events = await testDb.db.query<{ type: string }>('SELECT type FROM task_events WHERE job_id = $1 ORDER BY id', [taskIds.a]);
    expect(events.map((e) => e.type)).not.toContain('task.requeued');
  });

  it('answers 404 for an unknown workflow and 400 for a malformed id', async () => {
    const id = `wf_${randomUUID()}`;
    expectError(await api().get(`/api/v1/workflows/${id}`), 404, 'WORKFLOW_NOT_FOUND');
    expectError(await api().post(`/api/v1/workflows/${id}/cancel`), 404, 'WORKFLOW_NOT_FOUND');
    expectError(await api().get(`/integrations/chatgpt/jobs/${id}`), 404, 'JOB_NOT_FOUND');
    expectFieldError(await api().get('/api/v1/workflows/wf_1'), 'params.id');
    expectFieldError(await api().get(`/api/v1/workflows/tsk_${randomUUID()}`), 'params.id');
  });
});

describe('schedules', () => {
  const schedule = (extra: object = {}) => ({ name: `every-second-${randomUUID()}`, cron: '*/1 * * * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: { label: 'tick' }, ...extra });

  it('creates a schedule whose slots queue tasks, lists it, and deletes it', async () => {
    const body = schedule();
    const res = await api().post('/api/v1/schedules', body).expect(201);
    expectShape(scheduleSchema, res.body);
    const created = res.body as ScheduleRecord;
    expect(created).toMatchObject({ ...body, id: expect.stringMatching(/^sch_[0-9a-f-]{36}$/), priority: 'medium', enabled: true, createdAt: expect.any(String) });
    const next = Date.parse(created.nextRunAt);
    expect(next).toBeGreaterThan(Date.now() - 1_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 1_000);

    const fromSchedule = async () => {
      const { tasks } = (await api().get('/api/v1/agents/Probe/tasks?limit=500').expect(200)).body as { tasks: TaskRecord[] };
      return tasks.filter((t) => t.scheduleId === created.id);
    };
    const fired = await waitFor(async () => {
      const tasks = await fromSchedule();
      return tasks.length >= 2 && tasks;
    }, 4_000, 'two scheduled tasks');
    for (const t of fired) expect(t).toMatchObject({ agent: 'Probe', taskType: 'noop', payload: { label: 'tick' }, scheduleId: created.id });
    const firstDone = await waitForTaskStatus('Probe', fired[fired.length - 1]!.id, 'completed');
    expect(firstDone.result).toEqual({ label: 'tick' });
    expect(firstDone.events.map((e) => e.type)).toContain('schedule.fired');

    const { schedules } = (await api().get('/api/v1/schedules').expect(200)).body as { schedules: ScheduleRecord[] };
    expect(schedules.find((s) => s.id === created.id)).toMatchObject({ name: body.name, lastRunAt: expect.any(String), lastTaskId: expect.stringMatching(/^tsk_/) });

    const deleted = await api().del(`/api/v1/schedules/${created.id}`).expect(204);
    expect(deleted.text).toBe('');
    expectError(await api().del(`/api/v1/schedules/${created.id}`), 404, 'SCHEDULE_NOT_FOUND');
    const after = (await api().get('/api/v1/schedules').expect(200)).body as { schedules: ScheduleRecord[] };
    expect(after.schedules.map((s) => s.id)).not.toContain(created.id);
    // Let whatever the last slot queued finish, so no task of this test outlives it.
    await waitFor(async () => (await fromSchedule()).every((t) => TERMINAL.has(t.status)), 3_000, 'scheduled tasks to end');
  });

  it('answers 409 for a name that is taken', async () => {
    const body = schedule({ cron: '0 9 * * *', timezone: 'Europe/Paris' });
    const created = (await api().post('/api/v1/schedules', body).expect(201)).body as ScheduleRecord;
    const res = await api().post('/api/v1/schedules', { ...body, cron: '0 10 * * *' });
    expectError(res, 409, 'CONFLICT');
    expect(res.body.error.details).toEqual({ field: 'body.name' });
    await api().del(`/api/v1/schedules/${created.id}`).expect(204);
  });

  it.each([
    ['an invalid cron', { cron: 'not a cron' }, 'body.cron'],
    ['a cron that never fires', { cron: '0 0 31 2 *' }, 'body.cron'],
    ['an invalid timezone', { timezone: 'Mars/Olympus' }, 'body.timezone'],
    ['an unknown agent', { agent: 'Nobody' }, 'body.agent'],
    ['an unknown taskType', { taskType: 'juggle' }, 'body.taskType'],
    ['an invalid payload', { payload: { label: 7 } }, 'body.payload.label'],
    ['an unknown body key', { every: 'second' }, 'body.every'],
    ['an empty name', { name: '  ' }, 'body.name'],
  ])('answers 400 naming the field for %s', async (_what, extra, field) => {
    expectFieldError(await api().post('/api/v1/schedules', schedule(extra)), field);
  });

  it('answers 400 naming params.id for a malformed schedule id', async () => {
    expectFieldError(await api().del('/api/v1/schedules/sch_1'), 'params.id');
  });
});

describe('with ENABLE_AGENT_SYSTEM=false', () => {
  let disabled: TestPlane;
  beforeAll(async () => {
    disabled = await startTestPlane({ kind: 'postgres', env: { ENABLE_AGENT_SYSTEM: 'false' } });
  });
  afterAll(async () => {
    await disabled?.stop();
  });

  it.each([
    ['GET', '/api/v1/agents', undefined],
    ['GET', '/api/v1/agents/stats', undefined],
    ['GET', `/integrations/chatgpt/jobs/tsk_${randomUUID()}`, undefined],
    ['GET', '/api/v1/schedules', undefined],
    ['POST', '/api/v1/agents/Probe/tasks', { taskType: 'noop' }],
    ['POST', '/api/v1/workflows', { name: 'x', steps: [{ key: 'a', agent: 'Probe', taskType: 'noop' }] }],
    ['POST', '/api/v1/workflows', {}],
    ['GET', '/api/v1/agents/Probe/tasks?limit=0', undefined],
  ])('%s %s answers 503 FEATURE_DISABLED', async (_method, path, body) => {
    const res = body ? await api(disabled).post(path, body) : await api(disabled).get(path);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'FEATURE_DISABLED', message: expect.stringContaining('ENABLE_AGENT_SYSTEM=false') } });
  });
});
