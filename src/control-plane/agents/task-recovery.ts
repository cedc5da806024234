import type { Db, Queryable } from '../../common/db';
import type { TaskEventBus } from './task-event-bus';
import { workflowEndedError, type TaskStore } from './task-store';
import type { TaskPriority } from './types';
import type { WorkflowEngine } from './workflow-engine';

/**
 * SQL: the interrupted run must not resume: it was asked to stop, or it is a step of a workflow
 * that has ended (whose end may have skipped the step's row while something held it).
 */
const STOP = `(t.cancel_requested OR EXISTS (SELECT 1 FROM workflows w WHERE w.id = t.workflow_id AND w.status IN ('failed', 'cancelled')))`;

interface Recovered {
  id: string;
  status: 'queued' | 'failed' | 'cancelled';
  agent: string;
  task_type: string;
  priority: TaskPriority;
  workflow_id: string | null;
}

const INTERRUPTED = { code: 'INTERRUPTED', message: 'The instance running this task stopped before it finished' };

/**
 * Settles the tasks of queue workers that died (SIGKILL, power loss, lost network): their
 * jobs are unlocked at once instead of after graphile-worker's 4-hour lock timeout, and each
 * of their running tasks is queued again (resumable, attempts left), cancelled (a cancel was
 * asked for) or failed with reason `interrupted`. Runs under an advisory lock, so one
 * instance at a time does it.
 */
export class TaskRecovery {
  constructor(
    private readonly db: Db,
    private readonly store: TaskStore,
    private readonly workflows: WorkflowEngine,
    private readonly bus: TaskEventBus,
  ) {}

  /**
   * @param staleMs a worker whose heartbeat is older is dead; 0 declares every worker dead
   *   (embedded PGlite at boot: only one process can own its data directory).
   */
  async sweep(staleMs: number): Promise<Recovered[]> {
    const qs = this.store.queueSchema;
    const { rows, notes } = await this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`jarvis_task_recovery:${qs}`]);
      if (!lock?.ok) return { rows: [] as Recovered[], notes: [] as Array<() => void> };
      const dead = await tx.query<{ id: string }>(
        `DELETE FROM task_workers WHERE $1::int = 0 OR heartbeat_at < now() - $1::int * interval '1 millisecond' RETURNING id`,
        [staleMs],
      );
      if (staleMs === 0) {
        await tx.query(`SELECT ${qs}.force_unlock_workers(array(SELECT DISTINCT locked_by FROM ${qs}._private_jobs WHERE locked_by IS NOT NULL))`);
      } else if (dead.length) {
        await tx.query(`SELECT ${qs}.force_unlock_workers($1::text[])`, [dead.map((d) => d.id)]);
      }
      // Orphans: running on a worker that is not alive. started_at guards a worker that has
      // just started and not yet written its first heartbeat.
      return this.settle(
        tx,
        `status = 'running' AND (worker_id IS NULL OR worker_id NOT IN (SELECT id FROM task_workers))
         AND ($1::int = 0 OR started_at < now() - $1::int * interval '1 millisecond')`,
        [staleMs],
      );
    });
    this.publish(rows, notes);
    return rows;
  }

  /**
   * Tasks the database says this live worker runs, but which it neither runs nor is still
   * recording (an outcome write that failed for good, or lost in a database crash).
   */
  async settleOwn(workerId: string, ids: readonly string[]): Promise<Recovered[]> {
    if (!ids.length) return [];
    const { rows, notes } = await this.db.transaction((tx) => this.settle(tx, `status = 'running' AND worker_id = $1 AND id = ANY($2::text[])`, [workerId, ids]));
    this.publish(rows, notes);
    return rows;
  }

  /** Re-queues, cancels or fails the running tasks matching `where` ($1.. are `params`; the next placeholder carries the error). */
  private async settle(tx: Queryable, where: string, params: unknown[]): Promise<{ rows: Recovered[]; notes: Array<() => void> }> {
    const errorParam = `$${params.length + 1}`;
    const recovered = await tx.query<Recovered>(
      `WITH o AS (
         SELECT id FROM tasks WHERE ${where} FOR UPDATE SKIP LOCKED
       ), r AS (
         UPDATE tasks t SET
           status = CASE WHEN ${STOP} THEN 'cancelled' WHEN t.resumable AND t.attempts < t.max_attempts THEN 'queued' ELSE 'failed' END,
           error = CASE WHEN ${STOP} THEN coalesce(${workflowEndedError('t')}, '{"code":"CANCELLED","message":"Cancelled on request"}'::jsonb)
                   ELSE ${errorParam}::jsonb END,
           worker_id = NULL, updated_at = now(),
           queued_at = CASE WHEN NOT (${STOP}) AND t.resumable AND t.attempts < t.max_attempts THEN now() ELSE t.queued_at END,
           finished_at = CASE WHEN ${STOP} OR NOT t.resumable OR t.attempts >= t.max_attempts THEN now() END
         FROM o WHERE t.id = o.id
         RETURNING t.id, t.status, t.agent, t.task_type, t.priority, t.workflow_id
       ), e AS (
         INSERT INTO task_events (job_id, type, data)
         SELECT id, CASE status WHEN 'queued' THEN 'task.requeued' ELSE 'task.' || status END, jsonb_build_object('reason', 'interrupted') FROM r
       )
       SELECT * FROM r`,
      [...params, JSON.stringify(INTERRUPTED)],
    );
    const requeued = recovered.filter((r) => r.status === 'queued');
    await this.store.addJobs(tx, requeued.map((r) => ({ taskId: r.id, priority: r.priority, agent: r.agent })));
    const ended = recovered.flatMap((r) => (r.status !== 'queued' && r.workflow_id ? [r.workflow_id] : []));
    return { rows: recovered, notes: ended.length ? await this.workflows.advance(tx, ended) : [] };
  }

  private publish(rows: Recovered[], notes: Array<() => void>): void {
    for (const r of rows) {
      this.bus.publish({ type: r.status === 'queued' ? 'task.requeued' : `task.${r.status}`, jobId: r.id, agent: r.agent, taskType: r.task_type, data: { reason: 'interrupted' } });
    }
    for (const note of notes) note();
  }
}
