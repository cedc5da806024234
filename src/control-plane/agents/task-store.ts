import type { Queryable } from '../../common/db';
import type { TaskError, TaskRow } from './task-records';
import { TASK_COLUMNS } from './task-records';
import { PRIORITY_RANK, type TaskPriority, type TaskStatus } from './types';

/** graphile-worker task identifier of every job: the job only carries our task id. */
export const JOB_IDENTIFIER = 'jarvis_task';
/** Graphile's own attempt counter only counts crash re-deliveries; our rows count real attempts. */
const JOB_MAX_ATTEMPTS = 25;

export interface NewTask {
  id: string;
  agent: string;
  taskType: string;
  priority: TaskPriority;
  payload: unknown;
  status: 'queued' | 'waiting';
  maxAttempts: number;
  timeoutMs: number;
  resumable: boolean;
  workflowId?: string;
  stepKey?: string;
  dependsOn?: string[];
  inputs?: Record<string, string>;
  scheduleId?: string;
  createdBy?: string;
}

export interface JobSpec {
  taskId: string;
  priority: TaskPriority;
  agent: string;
  /** Default now(); a deferred job keeps its original time so it keeps its place in line. */
  runAt?: Date;
}

export const agentFlag = (agent: string) => `agent:${agent}`;

/**
 * SQL of the task system. Every function takes the Queryable to run on, so callers choose
 * the transaction: a task row, its event and its job always commit together.
 */
export class TaskStore {
  constructor(
    readonly queueSchema: string,
    /** NOTIFY channel that carries task ids whose running work must stop. */
    readonly cancelChannel: string,
  ) {}

  async notifyCancel(q: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length) await q.query('SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id', [this.cancelChannel, ids]);
  }

  /** Wake-up jobs, FIFO within a priority: batch members get run_at + their ordinal in µs. */
  async addJobs(q: Queryable, jobs: readonly JobSpec[]): Promise<void> {
    if (!jobs.length) return;
    const qs = this.queueSchema;
    await q.query(
      `SELECT count(*) FROM ${qs}.add_jobs(array(
         SELECT row($5::text, json_build_object('taskId', u.id), NULL, coalesce(u.run_at, now()) + (u.ord * interval '1 microsecond'),
                    ${JOB_MAX_ATTEMPTS}, NULL, u.prio, array['agent:' || u.agent])::${qs}.job_spec
         FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u(id, prio, agent, run_at, ord)
         ORDER BY u.ord))`,
      [jobs.map((j) => j.taskId), jobs.map((j) => PRIORITY_RANK[j.priority]), jobs.map((j) => j.agent), jobs.map((j) => j.runAt ?? null), JOB_IDENTIFIER],
    );
  }

  /** Inserts tasks (with their task.created events and, for queued ones, their jobs); returns the rows. */
  async insertTasks(q: Queryable, tasks: readonly NewTask[]): Promise<TaskRow[]> {
    if (!tasks.length) return [];
    const col = <T>(f: (t: NewTask) => T) => tasks.map(f);
    const rows = await q.query<TaskRow>(
      `WITH n AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::json[], $6::text[], $7::int[], $8::int[], $9::bool[],
                              $10::text[], $11::text[], $12::jsonb[], $13::jsonb[], $14::text[], $15::text[])
           WITH ORDINALITY AS n(id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable,
                                workflow_id, step_key, depends_on, inputs, schedule_id, created_by, ord)
       ), ins AS (
         INSERT INTO tasks (id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable,
                            workflow_id, step_key, depends_on, inputs, schedule_id, created_by, queued_at)
         SELECT id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable, workflow_id, step_key,
                coalesce(ARRAY(SELECT jsonb_array_elements_text(depends_on)), '{}'), inputs, schedule_id, created_by,
                CASE WHEN status = 'queued' THEN now() END
         FROM n ORDER BY ord
         RETURNING ${TASK_COLUMNS}
       ), e AS (
         INSERT INTO task_events (job_id, type, data)
         SELECT n.id, 'task.created', jsonb_build_object('agent', n.agent, 'taskType', n.task_type, 'priority', n.priority, 'status', n.status)
         FROM n JOIN ins USING (id) ORDER BY n.ord
       )
       SELECT * FROM ins`,
      [
        col((t) => t.id),
        col((t) => t.agent),
        col((t) => t.taskType),
        col((t) => t.priority),
        col((t) => JSON.stringify(t.payload ?? {})),
        col((t) => t.status),
        col((t) => t.maxAttempts),
        col((t) => t.timeoutMs),
        col((t) => t.resumable),
        col((t) => t.workflowId ?? null),
        col((t) => t.stepKey ?? null),
        col((t) => JSON.stringify(t.dependsOn ?? [])),
        col((t) => (t.inputs ? JSON.stringify(t.inputs) : null)),
        col((t) => t.scheduleId ?? null),
        col((t) => t.createdBy ?? null),
      ],
    );
    await this.addJobs(q, tasks.filter((t) => t.status === 'queued').map((t) => ({ taskId: t.id, priority: t.priority, agent: t.agent })));
    return rows;
  }

  /** queued → running for those ids that are still queued and not cancelled; the others are skipped. */
  async start(q: Queryable, ids: readonly string[], workerId: string): Promise<StartedTask[]> {
    return q.query<StartedTask>(
      `WITH s AS (
         UPDATE tasks SET status = 'running', started_at = now(), updated_at = now(), attempts = attempts + 1, worker_id = $2
         WHERE id = ANY($1::text[]) AND status = 'queued' AND NOT cancel_requested
         RETURNING id, agent, task_type, payload, attempts, max_attempts, timeout_ms, workflow_id, queued_at, worker_id, created_by
       ), e AS (
         INSERT INTO task_events (job_id, type, data)
         SELECT id, 'task.started', jsonb_build_object('attempt', attempts, 'worker', $2::text) FROM s
       )
       SELECT * FROM s`,
      [ids, workerId],
    );
  }

  /** running → completed/failed/cancelled, only where the worker that claimed the run still owns it. */
  async finish(q: Queryable, items: readonly FinishItem[]): Promise<FinishedTask[]> {
    return q.query<FinishedTask>(
      `WITH u AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::json[], $4::jsonb[], $5::text[]) AS u(id, status, result, error, worker)
       ), d AS (
         UPDATE tasks t SET status = u.status, result = u.result, finished_at = now(), updated_at = now(),
                error = CASE WHEN u.status = 'cancelled' THEN coalesce(${workflowEndedError('t')}, u.error) ELSE u.error END,
                worker_id = NULL, progress = CASE WHEN u.status = 'completed' THEN 100 ELSE t.progress END
         FROM u WHERE t.id = u.id AND t.status = 'running' AND t.worker_id = u.worker
         RETURNING t.id, t.status, t.agent, t.task_type, t.workflow_id, t.error
       ), e AS (
         INSERT INTO task_events (job_id, type, data)
         SELECT id, 'task.' || status, CASE WHEN error IS NULL THEN NULL ELSE jsonb_build_object('error', error) END FROM d
       )
       SELECT id, status, agent, task_type, workflow_id FROM d`,
      [
        items.map((i) => i.id),
        items.map((i) => i.status),
        items.map((i) => i.resultJson ?? null),
        items.map((i) => (i.error ? JSON.stringify(i.error) : null)),
        items.map((i) => i.workerId),
      ],
    );
  }

  /** A transient failure with attempts left: back to queued with a job that runs after the backoff. */
  async scheduleRetry(q: Queryable, id: string, workerId: string, error: TaskError, delayMs: number, eventType = 'task.retrying'): Promise<boolean> {
    const rows = await q.query<{ priority: TaskPriority; agent: string; attempts: number }>(
      `UPDATE tasks SET status = 'queued', error = $3, worker_id = NULL, queued_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'running' AND worker_id = $2 AND NOT cancel_requested
       RETURNING priority, agent, attempts`,
      [id, workerId, JSON.stringify(error)],
    );
    const row = rows[0];
    if (!row) return false;
    await q.query(`INSERT INTO task_events (job_id, type, data) VALUES ($1, $2, $3)`, [
      id,
      eventType,
      JSON.stringify({ attempt: row.attempts, delayMs, error }),
    ]);
    await this.addJobs(q, [{ taskId: id, priority: row.priority, agent: row.agent, runAt: new Date(Date.now() + delayMs) }]);
    return true;
  }

  /** Progress of running tasks; of several reports for one task in a batch, the last one counts. */
  async progress(q: Queryable, items: readonly { id: string; workerId: string; percent: number; message?: string }[]): Promise<void> {
    await q.query(
      `WITH a AS (SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) WITH ORDINALITY AS a(id, percent, message, worker, ord)),
       u AS (SELECT DISTINCT ON (id) * FROM a ORDER BY id, ord DESC),
       p AS (UPDATE tasks t SET progress = u.percent, updated_at = now() FROM u WHERE t.id = u.id AND t.status = 'running' AND t.worker_id = u.worker RETURNING t.id)
       INSERT INTO task_events (job_id, type, data)
       SELECT a.id, 'task.progress', jsonb_strip_nulls(jsonb_build_object('percent', a.percent, 'message', a.message)) FROM a JOIN p USING (id) ORDER BY a.ord`,
      [items.map((i) => i.id), items.map((i) => Math.round(i.percent)), items.map((i) => i.message ?? null), items.map((i) => i.workerId)],
    );
  }

  async get(q: Queryable, id: string): Promise<TaskRow | undefined> {
    const rows = await q.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1`, [id]);
    return rows[0];
  }

  async event(q: Queryable, jobId: string, type: string, data?: unknown): Promise<void> {
    await q.query('INSERT INTO task_events (job_id, type, data) VALUES ($1, $2, $3)', [jobId, type, data === undefined ? null : JSON.stringify(data)]);
  }
}

export interface StartedTask {
  id: string;
  agent: string;
  task_type: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  workflow_id: string | null;
  queued_at: Date | string | null;
  /** The worker pool that claimed it: only that pool may record its outcome. */
  worker_id: string;
  /** The API key that queued it; null for scheduled runs and workflow steps queued by the system. */
  created_by: string | null;
}

export interface FinishItem {
  id: string;
  /** The pool that claimed the run (StartedTask.worker_id). */
  workerId: string;
  status: Extract<TaskStatus, 'completed' | 'failed' | 'cancelled'>;
  /** The result, already serialised (see storableJson), so one bad result cannot fail a batch. */
  resultJson?: string;
  error?: TaskError;
}

/**
 * SQL: the error of a step stopped because its workflow ended (failed or was cancelled), the
 * same its waiting and queued steps get; NULL when `task` is no step of an ended workflow (a
 * task cancelled on its own). `task` is the alias of the tasks row.
 */
export function workflowEndedError(task: string): string {
  return `(SELECT jsonb_build_object('code', 'WORKFLOW_ENDED', 'message', 'Workflow ' || w.status) FROM workflows w
           WHERE w.id = ${task}.workflow_id AND w.status IN ('failed', 'cancelled'))`;
}

/**
 * JSON that PostgreSQL's jsonb accepts, or a description of why not: JSON.stringify throws on
 * BigInt and cycles, and jsonb refuses the NUL character (\u0000).
 */
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*(?:\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2})/i;

export function storableJson(value: unknown): { ok: true; json: string } | { ok: false; reason: string } {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (json === undefined) return { ok: true, json: 'null' };
  // An escaped NUL (\u0000 preceded by an even number of backslashes) in the JSON text.
  if (/(?<!\\)(?:\\\\)*\\u0000/.test(json)) return { ok: false, reason: 'contains a NUL character (\\u0000), which PostgreSQL cannot store' };
  // JSON.stringify escapes a lone UTF-16 surrogate (half an emoji cut by slice()); jsonb refuses it.
  if (LONE_SURROGATE.test(json)) return { ok: false, reason: 'contains a lone UTF-16 surrogate (a broken character), which PostgreSQL cannot store' };
  return { ok: true, json };
}

export interface FinishedTask {
  id: string;
  status: FinishItem['status'];
  agent: string;
  task_type: string;
  workflow_id: string | null;
}
