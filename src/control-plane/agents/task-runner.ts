import { setMaxListeners } from 'node:events';
import type { JobHelpers } from 'graphile-worker';
import type { Db } from '../../common/db';
import { AppError, NOT_SET_UP_CODES } from '../../common/errors';
import { GroupCommit } from '../../common/group-commit';
import type { Logger } from '../../common/logger';
import { withStorableChars } from '../../common/validation';
import type { AgentSystemConfig } from '../config';
import type { AgentRegistry } from './agent-registry';
import { CapabilityCalls } from './capability-calls';
import type { TaskEventBus } from './task-event-bus';
import type { TaskError } from './task-records';
import { agentFlag, storableJson, type FinishedTask, type FinishItem, type StartedTask, type TaskStore } from './task-store';
import { TASK_PRIORITIES, type CapabilitySpec } from './types';
import type { WorkflowEngine } from './workflow-engine';

const CANCELLED = { code: 'CANCELLED', message: 'Cancelled on request' };

/** Why a run was stopped from outside. */
export type StopReason = 'cancel' | 'shutdown' | 'lease-lost';
class TaskStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`task stopped: ${reason}`);
  }
}
class TaskTimedOut extends Error {
  constructor() {
    super('task timed out');
  }
}

export interface TaskRunnerDeps {
  db: Db;
  store: TaskStore;
  registry: AgentRegistry;
  calls: CapabilityCalls;
  bus: TaskEventBus;
  workflows: WorkflowEngine;
  logger: Logger;
  config: AgentSystemConfig;
}

/** Transient: worth another attempt later. A DAWG that is down or busy is; a bad request, or a server not set up for it, is not. */
export function isTransient(err: unknown): boolean {
  return err instanceof AppError && ((err.status === 503 && !NOT_SET_UP_CODES.has(err.code)) || err.status === 429);
}

/**
 * A database error caused by the data of one item (SQLSTATE class 22 data exception, 23
 * integrity violation): worth retrying a batch's items one by one. An outage is not: every
 * item would fail again, one slow attempt after another.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}

export function toTaskError(err: unknown): TaskError {
  const error: TaskError =
    err instanceof AppError
      ? { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) }
      : { code: 'TASK_FAILED', message: err instanceof Error ? err.message : String(err) };
  // An error that jsonb cannot store (BigInt in details, NUL or a broken character in the
  // message) would make the outcome write fail for good: keep what can be stored.
  if (storableJson(error).ok) return error;
  return { code: error.code, message: withStorableChars(error.message) };
}

/** Rejects when the signal aborts, so a capability that ignores its signal cannot hold a slot past its timeout. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs the queue's jobs: claims the task row (queued → running), runs the capability with a
 * signal that fires on cancel, timeout and shutdown, and records the outcome. Status changes
 * are group-committed; a completion and the workflow hand-over it triggers commit together.
 */
export class TaskRunner {
  private readonly running = new Map<string, { controller: AbortController; agent: string }>();
  private readonly perAgent = new Map<string, number>();
  private readonly settling = new Map<string, Promise<void>>();
  /** graphile-worker's shutdown signals whose listener limit fits our concurrency (see execute). */
  private readonly widened = new WeakSet<AbortSignal>();
  private readonly starts: GroupCommit<string, StartedTask | undefined>;
  private readonly finishes: GroupCommit<FinishItem, FinishedTask | undefined>;
  private readonly progresses: GroupCommit<{ id: string; workerId: string; percent: number; message?: string }, undefined>;
  workerId = '';

  constructor(private readonly deps: TaskRunnerDeps) {
    const { db, store } = deps;
    this.starts = new GroupCommit(async (ids) => {
      const rows = await store.start(db, ids, this.workerId);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const r of rows) deps.bus.publish({ type: 'task.started', jobId: r.id, agent: r.agent, taskType: r.task_type, ...(r.workflow_id ? { workflowId: r.workflow_id } : {}) });
      // Two jobs of one task (a re-delivery after a crash) can land in one batch: only the first gets to run it.
      return ids.map((id) => {
        const row = byId.get(id);
        byId.delete(id);
        return row;
      });
      // Claims are on every task's critical path: two batches may commit at once (each claim is a
      // compare-and-set, so overlapping batches cannot both win a task).
    }, { maxInFlight: 2, splitOnError: isDataError });
    this.finishes = new GroupCommit(async (items) => {
      const { rows, notes } = await db.transaction(async (tx) => {
        const done = await store.finish(tx, items);
        const workflowIds = done.flatMap((r) => (r.workflow_id ? [r.workflow_id] : []));
        return { rows: done, notes: workflowIds.length ? await deps.workflows.advance(tx, workflowIds) : [] };
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const r of rows) deps.bus.publish({ type: `task.${r.status}`, jobId: r.id, agent: r.agent, taskType: r.task_type, ...(r.workflow_id ? { workflowId: r.workflow_id } : {}) });
      for (const note of notes) note();
      return items.map((i) => byId.get(i.id));
    }, { splitOnError: isDataError });
    this.progresses = new GroupCommit(async (items) => {
      await store.progress(db, items);
      return items.map(() => undefined);
    });
  }

  get activeCount(): number {
    return this.running.size;
  }

  activeIds(): string[] {
    return [...this.running.keys()];
  }

  /** Agents at their per-instance limit: the queue does not fetch their jobs meanwhile. */
  readonly forbiddenFlags = (): string[] | null => {
    const full = [...this.perAgent].filter(([, n]) => n >= this.deps.config.maxConcurrentPerAgent).map(([agent]) => agentFlag(agent));
    return full.length ? full : null;
  };

  /** Stops a run on this instance, if it runs here. */
  stop(taskId: string, reason: StopReason): boolean {
    const run = this.running.get(taskId);
    if (!run) return false;
    run.controller.abort(new TaskStopped(reason));
    return true;
  }

  stopAll(reason: StopReason): void {
    for (const id of this.running.keys()) this.stop(id, reason);
  }

  /** Tasks this instance is running or still recording: not orphans, whatever the database says. */
  ownedIds(): Set<string> {
    return new Set([...this.running.keys(), ...this.settling.keys()]);
  }

  async idle(): Promise<void> {
    await Promise.all(this.settling.values());
    await Promise.all([this.starts.idle(), this.finishes.idle(), this.progresses.idle()]);
  }

  /**
   * The graphile-worker task function. It returns once the capability has run: the outcome is
   * recorded in the background (group-committed), so the queue slot does not wait for a
   * commit. If the process dies before that write lands, crash recovery settles the task.
   */
  readonly handle = async (payload: unknown, helpers: JobHelpers): Promise<void> => {
    const taskId = (payload as { taskId?: unknown } | null)?.taskId;
    if (typeof taskId !== 'string') {
      helpers.logger.error('queue job without a task id: dropped', { jobId: helpers.job.id });
      return;
    }
    const flag = Object.keys(helpers.job.flags ?? {}).find((f) => f.startsWith('agent:'));
    const agent = flag?.slice('agent:'.length);
    if (agent && (this.perAgent.get(agent) ?? 0) >= this.deps.config.maxConcurrentPerAgent) {
      // Fetched ahead before the agent filled up: put it back with its original place in line.
      const priority = TASK_PRIORITIES[helpers.job.priority] ?? 'medium';
      await this.deps.store.addJobs(this.deps.db, [{ taskId, priority, agent, runAt: new Date(helpers.job.run_at) }]);
      return;
    }
    if (agent) this.perAgent.set(agent, (this.perAgent.get(agent) ?? 0) + 1);
    let settle: (() => Promise<void>) | undefined;
    try {
      const started = await this.starts.submit(taskId);
      if (started) settle = await this.execute(started, helpers.abortSignal);
    } finally {
      if (agent) this.perAgent.set(agent, (this.perAgent.get(agent) ?? 1) - 1);
    }
    if (settle) {
      const done = settle()
        .catch((err: unknown) => {
          this.deps.logger.error('task outcome not recorded; recovery will settle it', { taskId, reason: (err as Error).message });
        })
        .finally(() => this.settling.delete(taskId));
      this.settling.set(taskId, done);
    }
  };

  /** Runs the capability; returns how to record what happened. */
  private async execute(task: StartedTask, shutdown: AbortSignal): Promise<() => Promise<void>> {
    const cap = this.deps.registry.get(task.agent)?.capability(task.task_type);
    const parsed = cap?.payload.safeParse(task.payload);
    if (!cap || !parsed?.success) {
      const error = cap
        ? { code: 'VALIDATION_FAILED', message: 'Stored payload no longer matches the task type', details: parsed?.error?.issues }
        : { code: 'CAPABILITY_UNKNOWN', message: `${task.agent} has no task type ${task.task_type} (any more)` };
      return () => this.record(task, { status: 'failed', error });
    }
    // One controller per run, fed by cancel, timeout and shutdown. Not AbortSignal.any() with
    // the pool-wide shutdown signal: on Node 20 that keeps a reference per call for as long as
    // the pool lives (nodejs/node#55351), i.e. a leak of one entry per task.
    const controller = new AbortController();
    const onShutdown = () => controller.abort(new TaskStopped('shutdown'));
    // Every running task listens on the pool's one signal: past 10 of them Node would warn of a
    // leak that is none (each listener goes when its task ends).
    if (!this.widened.has(shutdown)) {
      setMaxListeners(this.deps.config.maxConcurrentTasks + 10, shutdown);
      this.widened.add(shutdown);
    }
    if (shutdown.aborted) onShutdown();
    else shutdown.addEventListener('abort', onShutdown, { once: true });
    const timer = setTimeout(() => controller.abort(new TaskTimedOut()), task.timeout_ms);
    const signal = controller.signal;
    this.running.set(task.id, { controller, agent: task.agent });
    try {
      const ctx = this.deps.calls.context(task, signal, (percent, message) => {
        const clamped = Math.max(0, Math.min(100, percent));
        this.progresses
          .submit({ id: task.id, workerId: task.worker_id, percent: clamped, message })
          // Published once stored, like every other task event (the WebSocket hub's tasks and jobs/<id> channels).
          .then(() =>
            this.deps.bus.publish({
              type: 'task.progress',
              jobId: task.id,
              agent: task.agent,
              taskType: task.task_type,
              ...(task.workflow_id ? { workflowId: task.workflow_id } : {}),
              data: { percent: clamped, ...(message ? { message } : {}) },
            }),
          )
          .catch((err: unknown) => {
            this.deps.logger.warn('task progress not recorded', { taskId: task.id, reason: (err as Error).message });
          });
      });
      const result = await untilAborted(cap.run(parsed.data, ctx), signal);
      const stored = storableJson(result ?? null);
      if (!stored.ok) {
        return () => this.record(task, { status: 'failed', error: { code: 'RESULT_NOT_STORABLE', message: `The capability's result cannot be stored: ${stored.reason}` } });
      }
      return () => this.record(task, { status: 'completed', resultJson: stored.json });
    } catch (err) {
      // Classified now, from the reason the run was stopped with (if it was).
      const reason: unknown = signal.aborted ? signal.reason : undefined;
      const stopped = reason instanceof TaskStopped ? reason.reason : undefined;
      const timedOut = reason instanceof TaskTimedOut;
      return () => this.onError(task, cap, err, stopped, timedOut);
    } finally {
      clearTimeout(timer);
      shutdown.removeEventListener('abort', onShutdown);
      this.running.delete(task.id);
    }
  }

  private async onError(task: StartedTask, cap: CapabilitySpec, err: unknown, stopped: StopReason | undefined, timedOut: boolean): Promise<void> {
    if (stopped === 'cancel') {
      await this.record(task, { status: 'cancelled', error: CANCELLED });
    } else if (stopped) {
      await this.interrupted(task, cap);
    } else if (timedOut) {
      await this.record(task, { status: 'failed', error: { code: 'TASK_TIMEOUT', message: `${task.task_type} did not finish within ${task.timeout_ms} ms` } });
    } else if (isTransient(err) && task.attempts < task.max_attempts) {
      const { retryBaseMs, retryMaxMs } = this.deps.config;
      const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** (task.attempts - 1));
      const delayMs = Math.round(exp / 2 + Math.random() * (exp / 2));
      const retried = await this.requeue(task, toTaskError(err), delayMs, 'task.retrying');
      if (retried) this.deps.bus.publish({ type: 'task.retrying', jobId: task.id, agent: task.agent, taskType: task.task_type, data: { attempt: task.attempts, delayMs } });
      // Not re-queued: a cancel was asked for meanwhile (or the run was superseded, and this is a no-op).
      else await this.record(task, { status: 'cancelled', error: CANCELLED });
    } else {
      await this.record(task, { status: 'failed', error: toTaskError(err) });
    }
  }

  /** Shutdown or a lost lease stopped the run: queue it again if it is safe to repeat, else fail it "interrupted". */
  private async interrupted(task: StartedTask, cap: CapabilitySpec): Promise<void> {
    const error = { code: 'INTERRUPTED', message: 'The instance running this task stopped before it finished' };
    if (!cap.resumable || task.attempts >= task.max_attempts) {
      await this.record(task, { status: 'failed', error });
      return;
    }
    try {
      const requeued = await this.requeue(task, error, 0, 'task.requeued');
      if (requeued) this.deps.bus.publish({ type: 'task.requeued', jobId: task.id, agent: task.agent, taskType: task.task_type, data: { reason: 'interrupted' } });
      else await this.record(task, { status: 'cancelled', error: CANCELLED });
    } catch (err) {
      this.deps.logger.warn('interrupted task not re-queued; crash recovery will', { taskId: task.id, reason: (err as Error).message });
    }
  }

  /** Back to queued with a job after `delayMs`: status, event and job in one transaction, or none of them. */
  private requeue(task: StartedTask, error: TaskError, delayMs: number, eventType: string): Promise<boolean> {
    return this.deps.db.transaction((tx) => this.deps.store.scheduleRetry(tx, task.id, task.worker_id, error, delayMs, eventType));
  }

  /** Records an outcome; a database hiccup is retried so a finished task does not stay "running". */
  private async record(task: StartedTask, outcome: Omit<FinishItem, 'id' | 'workerId'>): Promise<void> {
    const item: FinishItem = { id: task.id, workerId: task.worker_id, ...outcome };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.finishes.submit(item);
        return;
      } catch (err) {
        if (attempt >= 5) {
          this.deps.logger.error('task outcome not recorded; the heartbeat will settle it', { taskId: item.id, reason: (err as Error).message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
}
