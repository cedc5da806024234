import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/common/db';

/**
 * `n` tasks of one capability that failed within the last minute (DEPLOY_FAILED), queued by
 * `createdBy`: enough of them make the proactive system's task-failures signal. Returns their ids.
 */
export async function insertFailedTasks(db: Db, n: number, createdBy: string, agent = 'DevOpsEngineer', taskType = 'deploy-service'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `tsk_${randomUUID()}`;
    ids.push(id);
    await db.query(
      `INSERT INTO tasks (id, agent, task_type, priority, payload, status, error, attempts, max_attempts, timeout_ms, resumable, created_by, started_at, finished_at)
       VALUES ($1, $2, $3, 'medium', '{}', 'failed', $4, 1, 3, 1000, false, $5, now() - interval '1 minute', now() - make_interval(secs => $6))`,
      [id, agent, taskType, JSON.stringify({ code: 'DEPLOY_FAILED', message: `health check failed (${i})` }), createdBy, 30 - i],
    );
  }
  return ids;
}
