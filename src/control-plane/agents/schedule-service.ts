import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { Db } from '../../common/db';
import { AppError, ConflictError, NotFoundError } from '../../common/errors';
import { fieldError } from '../../common/validation';
import type { Logger } from '../../common/logger';
import type { AgentRegistry } from './agent-registry';
import type { TaskEventBus } from './task-event-bus';
import { iso } from './task-records';
import { checkPayload, resolveCapability } from './payload-check';
import type { TaskStore } from './task-store';
import type { TaskPriority } from './types';

export interface ScheduleInput {
  name: string;
  cron: string;
  timezone: string;
  agent: string;
  taskType: string;
  payload: Record<string, unknown>;
  priority: TaskPriority;
}

export interface ScheduleRecord extends ScheduleInput {
  id: string;
  enabled: boolean;
  nextRunAt: string;
  lastRunAt?: string;
  lastTaskId?: string;
  createdAt: string;
}

interface ScheduleRow {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  agent: string;
  task_type: string;
  payload: Record<string, unknown>;
  priority: TaskPriority;
  enabled: boolean;
  next_run_at: Date | string;
  last_run_at: Date | string | null;
  last_task_id: string | null;
  created_by: string | null;
  created_at: Date | string;
}

const toRecord = (r: ScheduleRow): ScheduleRecord => ({
  id: r.id,
  name: r.name,
  cron: r.cron,
  timezone: r.timezone,
  agent: r.agent,
  taskType: r.task_type,
  payload: r.payload,
  priority: r.priority,
  enabled: r.enabled,
  nextRunAt: iso(r.next_run_at),
  ...(r.last_run_at ? { lastRunAt: iso(r.last_run_at) } : {}),
  ...(r.last_task_id ? { lastTaskId: r.last_task_id } : {}),
  createdAt: iso(r.created_at),
});

/** The next slot strictly after `after`, or a 400 naming the field that makes it impossible. */
function nextSlot(cron: string, timezone: string, after: Date): Date {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw fieldError('body.timezone', `"${timezone}" is not an IANA time zone (e.g. UTC, Europe/Paris)`);
  }
  let next: Date | null;
  try {
    next = new Cron(cron, { timezone, paused: true }).nextRun(after);
  } catch (err) {
    throw fieldError('body.cron', (err as Error).message);
  }
  if (!next) throw fieldError('body.cron', 'never fires again');
  return next;
}

export type EnqueueFromSchedule = (
  tx: import('../../common/db').Queryable,
  schedule: { id: string; agent: string; taskType: string; payload: unknown; priority: TaskPriority; createdBy: string | null },
) => Promise<string>;

/**
 * Cron schedules in the database (e.g. "daily at 9:00" in a time zone). Every instance ticks;
 * a due slot is claimed by moving next_run_at forward with a compare-and-set in the same
 * transaction that creates the task, so each slot fires exactly once across instances and
 * survives restarts. Slots missed while everything was down fire once, not once per slot.
 */
export class ScheduleService {
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly db: Db,
    private readonly store: TaskStore,
    private readonly registry: AgentRegistry,
    private readonly bus: TaskEventBus,
    private readonly enqueue: EnqueueFromSchedule,
    private readonly logger: Logger,
  ) {}

  async create(input: ScheduleInput, createdBy?: string): Promise<ScheduleRecord> {
    const cap = resolveCapability(this.registry, input.agent, input.taskType, 'body');
    const payload = checkPayload(cap, input.payload, 'body.payload');
    const next = nextSlot(input.cron, input.timezone, new Date());
    try {
      const rows = await this.db.query<ScheduleRow>(
        `INSERT INTO task_schedules (id, name, cron, timezone, agent, task_type, payload, priority, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [`sch_${randomUUID()}`, input.name, input.cron, input.timezone, input.agent, input.taskType, JSON.stringify(payload), input.priority, next, createdBy ?? null],
      );
      return toRecord(rows[0]!);
    } catch (err) {
      // Names are unique per owner (migration 011): the conflict is with one of the caller's own.
      if ((err as { code?: string }).code === '23505') throw new ConflictError(`You already have a schedule named "${input.name}"`, { field: 'body.name' });
      throw err;
    }
  }

  /** `owner`, where given, limits the list (and removal) to the schedules that principal created, as for tasks. */
  async list(owner?: string): Promise<ScheduleRecord[]> {
    const rows = await this.db.query<ScheduleRow>('SELECT * FROM task_schedules WHERE ($1::text IS NULL OR created_by = $1) ORDER BY created_at', [owner ?? null]);
    return rows.map(toRecord);
  }

  async remove(id: string, owner?: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM task_schedules WHERE id = $1 AND ($2::text IS NULL OR created_by = $2) RETURNING id', [id, owner ?? null]);
    if (!rows.length) throw new NotFoundError(`Schedule not found: ${id}`, undefined, 'SCHEDULE_NOT_FOUND');
  }

  start(tickMs: number): void {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Fires every due slot this instance wins; returns the task ids it created. */
  async tick(now = new Date()): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const created: string[] = [];
    try {
      const due = await this.db.query<ScheduleRow>('SELECT * FROM task_schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at LIMIT 100', [now]);
      for (const s of due) {
        const slot = new Date(s.next_run_at);
        let next: Date;
        try {
          next = nextSlot(s.cron, s.timezone, now);
        } catch {
          this.logger.warn('schedule can no longer fire; disabled', { scheduleId: s.id });
          await this.db.query('UPDATE task_schedules SET enabled = false WHERE id = $1', [s.id]);
          continue;
        }
        let taskId: string | undefined;
        try {
          taskId = await this.db.transaction(async (tx) => {
            const won = await tx.query('UPDATE task_schedules SET next_run_at = $3, last_run_at = $2 WHERE id = $1 AND next_run_at = $2 RETURNING id', [s.id, slot, next]);
            if (!won.length) return undefined;
            const id = await this.enqueue(tx, { id: s.id, agent: s.agent, taskType: s.task_type, payload: s.payload, priority: s.priority, createdBy: s.created_by });
            await tx.query('UPDATE task_schedules SET last_task_id = $2 WHERE id = $1', [s.id, id]);
            await this.store.event(tx, id, 'schedule.fired', { scheduleId: s.id, slot: slot.toISOString() });
            return id;
          });
        } catch (err) {
          // A schedule that can no longer create its task (agent or task type gone, payload no
          // longer valid) is disabled, so it cannot hold up the schedules behind it.
          if (err instanceof AppError && err.status < 500) {
            this.logger.warn('schedule disabled: it can no longer create its task', { scheduleId: s.id, reason: err.message });
            await this.db.query('UPDATE task_schedules SET enabled = false WHERE id = $1', [s.id]);
          } else {
            this.logger.warn('schedule did not fire; will try again', { scheduleId: s.id, reason: (err as Error).message });
          }
          continue;
        }
        if (taskId) {
          created.push(taskId);
          this.bus.publish({ type: 'task.created', jobId: taskId, agent: s.agent, taskType: s.task_type, data: { scheduleId: s.id, slot: slot.toISOString() } });
        }
      }
    } catch (err) {
      this.logger.warn('schedule tick failed', { reason: (err as Error).message });
    } finally {
      this.ticking = false;
    }
    return created;
  }
}
