import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../common/db';
import { GroupCommit } from '../../common/group-commit';
import { ConflictError, InvalidError, NotFoundError } from '../../common/errors';
import type { AgentSystemConfig } from '../config';
import type { AgentRegistry } from './agent-registry';
import type { TaskEventBus } from './task-event-bus';
import { iso, TASK_COLUMNS, toTaskRecord, type TaskEventRecord, type TaskRecord, type TaskRow } from './task-records';
import { isDataError, type TaskRunner } from './task-runner';
import { checkPayload } from './payload-check';
import type { NewTask, TaskStore } from './task-store';
import { TASK_STATUSES, TERMINAL_STATUSES, type TaskPriority, type TaskStatus } from './types';
import type { WorkflowEngine } from './workflow-engine';

export interface EnqueueInput {
  taskType: string;
  payload: unknown;
  priority: TaskPriority;
}

export interface WorkflowView {
  jobId: string;
  kind: 'workflow';
  name: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  result?: unknown;
  error?: unknown;
  createdAt: string;
  finishedAt?: string;
  steps: TaskRecord[];
}

export type JobView = ({ jobId: string; kind: 'task'; events: TaskEventRecord[] } & TaskRecord) | WorkflowView;

/** What the routes use: create, read, list and cancel tasks; read any job (task or workflow). */
export class TaskService {
  /**
   * Single enqueues that arrive together share one transaction. Each transaction that adds
   * jobs ends with graphile-worker's NOTIFY, and PostgreSQL serialises the commits of
   * notifying transactions (one WAL flush each): under a burst of API calls, one commit per
   * call made them queue behind each other.
   */
  private readonly creates: GroupCommit<NewTask, TaskRow>;

  constructor(
    private readonly db: Db,
    private readonly store: TaskStore,
    private readonly registry: AgentRegistry,
    private readonly bus: TaskEventBus,
    private readonly runner: TaskRunner,
    private readonly workflows: WorkflowEngine,
    private readonly config: AgentSystemConfig,
  ) {
    this.creates = new GroupCommit((tasks) => this.insert(tasks), { maxBatch: 500, maxInFlight: 2, splitOnError: isDataError });
  }

  /** The tasks' rows, inserted in one transaction, in the order given. */
  private async insert(tasks: readonly NewTask[]): Promise<TaskRow[]> {
    const rows = await this.db.transaction((tx) => this.store.insertTasks(tx, tasks));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return tasks.map((t) => byId.get(t.id)!);
  }

  /** Validates against the agent's capability and returns the task row to insert. */
  prepare(agentName: string, input: EnqueueInput, extra: Partial<NewTask> = {}): NewTask {
    const agent = this.registry.require(agentName);
    const cap = agent.capability(input.taskType);
    if (!cap) {
      const valid = agent.capabilityNames;
      throw new InvalidError(`Invalid body: body.taskType: ${agentName} has no task type "${input.taskType}"; valid: ${valid.join(', ')}`, {
        issues: [{ field: 'body.taskType', message: `must be one of ${valid.join(', ')}` }],
        validTaskTypes: valid,
      });
    }
    const payload = checkPayload(cap, input.payload ?? {}, 'body.payload');
    return {
      id: `tsk_${randomUUID()}`,
      agent: agentName,
      taskType: input.taskType,
      priority: input.priority,
      payload,
      status: 'queued',
      maxAttempts: this.config.maxAttempts,
      timeoutMs: cap.timeoutMs,
      resumable: cap.resumable,
      ...extra,
    };
  }

  async enqueue(agentName: string, input: EnqueueInput, createdBy?: string): Promise<TaskRecord> {
    const task = this.prepare(agentName, input, { createdBy });
    const row = await this.creates.submit(task);
    this.bus.publish({ type: 'task.created', jobId: task.id, agent: task.agent, taskType: task.taskType });
    return toTaskRecord(row);
  }

  /** Several tasks in one transaction (one commit, one queue wake-up), in order. */
  async enqueueMany(agentName: string, inputs: readonly EnqueueInput[], createdBy?: string): Promise<TaskRecord[]> {
    const tasks = inputs.map((input) => this.prepare(agentName, input, { createdBy }));
    const rows = await this.insert(tasks);
    for (const t of tasks) this.bus.publish({ type: 'task.created', jobId: t.id, agent: t.agent, taskType: t.taskType });
    return rows.map(toTaskRecord);
  }

  /** For the scheduler: creates a task inside its transaction. */
  readonly enqueueIn = async (
    tx: Queryable,
    s: { id: string; agent: string; taskType: string; payload: unknown; priority: TaskPriority; createdBy: string | null },
  ): Promise<string> => {
    // A slot's task runs for (and is visible to) whoever created the schedule.
    const task = this.prepare(s.agent, { taskType: s.taskType, payload: s.payload, priority: s.priority }, { scheduleId: s.id, createdBy: s.createdBy ?? undefined });
    await this.store.insertTasks(tx, [task]);
    return task.id;
  };

  /**
   * `owner`, where given, limits every read and cancel to the tasks that principal queued: the
   * routes pass the key id of a non-admin caller. Another's task is "not found", so ids leak nothing.
   */
  async get(agentName: string, id: string, owner?: string): Promise<TaskRecord & { events: TaskEventRecord[] }> {
    this.registry.require(agentName);
    const row = await this.store.get(this.db, id);
    if (!row || row.agent !== agentName || !visibleTo(row.created_by, owner)) throw new NotFoundError(`Task not found: ${id}`, undefined, 'TASK_NOT_FOUND');
    return { ...toTaskRecord(row), events: await this.events(id) };
  }

  async list(agentName: string, filter: { status?: TaskStatus; limit: number }, owner?: string): Promise<TaskRecord[]> {
    this.registry.require(agentName);
    const rows = await this.db.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE agent = $1 AND ($2::text IS NULL OR status = $2) AND ($4::text IS NULL OR created_by = $4)
       ORDER BY seq DESC LIMIT $3`,
      [agentName, filter.status ?? null, filter.limit, owner ?? null],
    );
    return rows.map(toTaskRecord);
  }

  /**
   * Queued or waiting → cancelled at once. Running → the run is asked to stop (on whichever
   * instance runs it) and ends `cancelled` shortly after; the answer says which happened.
   */
  async cancel(agentName: string, id: string, owner?: string): Promise<TaskRecord> {
    this.registry.require(agentName);
    // The answer is the task as this request left it (running with cancelRequested, or
    // cancelled), not a later read that would race with the run stopping.
    const { task, notes } = await this.db.transaction(async (tx) => {
      const rows = await tx.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1 FOR UPDATE`, [id]);
      const row = rows[0];
      if (!row || row.agent !== agentName || !visibleTo(row.created_by, owner)) throw new NotFoundError(`Task not found: ${id}`, undefined, 'TASK_NOT_FOUND');
      if (TERMINAL_STATUSES.includes(row.status)) throw new ConflictError(`Task ${id} has already ended (${row.status})`, { status: row.status });
      if (row.status === 'running') {
        const [updated] = await tx.query<TaskRow>(`UPDATE tasks SET cancel_requested = true, updated_at = now() WHERE id = $1 RETURNING ${TASK_COLUMNS}`, [id]);
        await this.store.event(tx, id, 'task.cancel_requested');
        await this.store.notifyCancel(tx, [id]);
        return { task: updated!, notes: [() => this.bus.publish({ type: 'task.cancel_requested', jobId: id, agent: row.agent, taskType: row.task_type })] };
      }
      const error = { code: 'CANCELLED', message: 'Cancelled on request' };
      const [updated] = await tx.query<TaskRow>(
        `UPDATE tasks SET status = 'cancelled', error = $2, finished_at = now(), updated_at = now() WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
        [id, JSON.stringify(error)],
      );
      await this.store.event(tx, id, 'task.cancelled', { error });
      const after = row.workflow_id ? await this.workflows.advance(tx, [row.workflow_id]) : [];
      return { task: updated!, notes: [() => this.bus.publish({ type: 'task.cancelled', jobId: id, agent: row.agent, taskType: row.task_type }), ...after] };
    });
    this.runner.stop(id, 'cancel');
    for (const note of notes) note();
    return toTaskRecord(task);
  }

  async stats(): Promise<{ agents: AgentStats[]; instance: { workerId: string; running: number; maxConcurrentTasks: number; maxConcurrentPerAgent: number } }> {
    const rows = await this.db.query<{ agent: string; status: TaskStatus; n: string | number }>('SELECT agent, status, count(*) AS n FROM tasks GROUP BY agent, status');
    const agents = this.registry.list().map((a) => {
      const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      for (const r of rows) if (r.agent === a.name) counts[r.status] = Number(r.n);
      const total = Object.values(counts).reduce((x, y) => x + y, 0);
      return { name: a.name, totalTasks: total, ...counts, capabilities: a.capabilities.map((c) => c.name) };
    });
    return {
      agents,
      instance: { workerId: this.runner.workerId, running: this.runner.activeCount, maxConcurrentTasks: this.config.maxConcurrentTasks, maxConcurrentPerAgent: this.config.maxConcurrentPerAgent },
    };
  }

  async events(jobId: string, limit = 200): Promise<TaskEventRecord[]> {
    const rows = await this.db.query<{ id: string | number; type: string; data: unknown; at: Date | string }>(
      'SELECT id, type, data, at FROM task_events WHERE job_id = $1 ORDER BY id LIMIT $2',
      [jobId, limit],
    );
    return rows.map((r) => ({ id: Number(r.id), type: r.type, ...(r.data === null ? {} : { data: r.data }), at: iso(r.at) }));
  }

  /** The blueprint's job tracking: any task or workflow by id. */
  async job(jobId: string, notFoundCode = 'JOB_NOT_FOUND', owner?: string): Promise<JobView> {
    if (jobId.startsWith('wf_')) {
      const rows = await this.db.query<{ id: string; name: string; status: WorkflowView['status']; result: unknown; error: unknown; created_at: Date; finished_at: Date | null; created_by: string | null }>(
        'SELECT id, name, status, result, error, created_at, finished_at, created_by FROM workflows WHERE id = $1',
        [jobId],
      );
      const wf = rows[0];
      if (!wf || !visibleTo(wf.created_by, owner)) throw new NotFoundError(`Job not found: ${jobId}`, undefined, notFoundCode);
      const steps = await this.db.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE workflow_id = $1 ORDER BY seq`, [jobId]);
      return {
        jobId,
        kind: 'workflow',
        name: wf.name,
        status: wf.status,
        ...(wf.result === null ? {} : { result: wf.result }),
        ...(wf.error === null ? {} : { error: wf.error }),
        createdAt: iso(wf.created_at),
        ...(wf.finished_at ? { finishedAt: iso(wf.finished_at) } : {}),
        steps: steps.map(toTaskRecord),
      };
    }
    const row = await this.store.get(this.db, jobId);
    if (!row || !visibleTo(row.created_by, owner)) throw new NotFoundError(`Job not found: ${jobId}`, undefined, 'JOB_NOT_FOUND');
    return { jobId, kind: 'task', ...toTaskRecord(row), events: await this.events(jobId) };
  }
}

export interface AgentStats {
  name: string;
  totalTasks: number;
  capabilities: string[];
  [status: string]: number | string | string[];
}

/** No owner given: every task is visible (admin keys, internal callers). */
const visibleTo = (createdBy: string | null | undefined, owner: string | undefined) => owner === undefined || createdBy === owner;
