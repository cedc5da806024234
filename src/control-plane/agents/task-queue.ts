import { processInstanceName } from '../../common/instance';
import { Logger as GraphileLogger, run, runMigrations, type Runner, type WorkerEvents } from 'graphile-worker';
import { EventEmitter } from 'node:events';
import type { Pool, PoolClient } from 'pg';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import type { AgentSystemConfig } from '../config';
import type { TaskRecovery } from './task-recovery';
import type { TaskRunner } from './task-runner';
import { JOB_IDENTIFIER, type TaskStore } from './task-store';

export interface TaskQueueDeps {
  db: Db;
  store: TaskStore;
  runner: TaskRunner;
  recovery: TaskRecovery;
  logger: Logger;
  config: AgentSystemConfig;
}

/** graphile-worker's log lines through our logger; its debug chatter stays out. */
function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    if (level === 'error') logger.error(`queue: ${message}`, meta);
    else if (level === 'warning') logger.warn(`queue: ${message}`, meta);
  });
}

/**
 * The queue under the task system: graphile-worker on the same database (its own schema),
 * plus what it lacks for us: a heartbeat per instance and recovery of dead instances' tasks,
 * and the cancel channel that stops running work on whichever instance runs it.
 */
export class TaskQueue {
  private pool?: Pool;
  private graphile?: Runner;
  private listener?: { release(): void };
  private heartbeat?: NodeJS.Timeout;
  private lastHeartbeatOk = Date.now();
  private beating = false;
  private stopping = false;

  constructor(private readonly deps: TaskQueueDeps) {}

  get workerId(): string {
    return this.deps.runner.workerId;
  }

  /** Installs or upgrades the queue schema; safe to run concurrently from several instances. */
  static async migrate(db: Db, queueSchema: string, logger: Logger): Promise<void> {
    const pool = db.createPool(2);
    try {
      await runMigrations({ pgPool: pool, schema: queueSchema, logger: graphileLogger(logger) });
    } finally {
      await pool.end();
    }
  }

  async start(): Promise<void> {
    const { db, runner, recovery, logger, config } = this.deps;
    // Embedded PGlite has one owner process: whatever ran before this start is dead.
    if (db.kind === 'pglite') await recovery.sweep(0);
    this.pool = db.createPool(config.maxConcurrentTasks + 4);
    this.lastHeartbeatOk = Date.now();
    await this.runGraphile();
    await this.listen();
    this.heartbeat = setInterval(() => void this.beat(), config.heartbeatMs);
    this.heartbeat.unref();
    logger.info('task queue started', { workerId: runner.workerId, concurrency: config.maxConcurrentTasks, perAgent: config.maxConcurrentPerAgent });
  }

  /**
   * Starts graphile-worker and registers its pool. Should the runner stop by itself (a fatal
   * error in graphile-worker), it is started again with a new pool id: the old pool's row
   * stops beating and the sweep recovers whatever it held.
   */
  private async runGraphile(): Promise<void> {
    const { db, store, runner, logger, config } = this.deps;
    if (!this.pool) return;
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => {
      runner.workerId = workerPool.id;
    });
    const graphile = await run({
      pgPool: this.pool,
      schema: store.queueSchema,
      concurrency: config.maxConcurrentTasks,
      noHandleSignals: true,
      pollInterval: config.pollIntervalMs,
      logger: graphileLogger(logger),
      events,
      forbiddenFlags: runner.forbiddenFlags,
      taskList: { [JOB_IDENTIFIER]: runner.handle },
      preset: {
        worker: {
          // A short ttl: while an agent is at its limit, graphile-worker fetches one job at a
          // time and leaves its local queue alone; jobs fetched ahead then go back after 2 s
          // instead of 5 minutes, so other agents' (and instances') work is not held up.
          localQueue: config.localQueueSize > 0 ? { size: config.localQueueSize, ttl: 2_000 } : undefined,
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
          gracefulShutdownAbortTimeout: 5_000,
        },
      },
    });
    this.graphile = graphile;
    await db.query('INSERT INTO task_workers (id, instance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()', [
      runner.workerId,
      processInstanceName(),
    ]);
    const restart = (reason: string) => {
      if (this.stopping || this.graphile !== graphile) return;
      logger.error('task queue runner stopped by itself; restarting it', { reason });
      setTimeout(() => {
        if (this.stopping) return;
        void this.runGraphile().catch((err: unknown) => logger.error('task queue restart failed', { reason: (err as Error).message }));
      }, 1_000).unref();
    };
    graphile.promise.then(
      () => restart('stopped'),
      (err: unknown) => restart((err as Error).message),
    );
  }

  /** Cancels reach the instance running the task through NOTIFY; the heartbeat re-checks in case one is missed. */
  private async listen(): Promise<void> {
    if (!this.pool || this.stopping) return;
    const { store, runner, logger } = this.deps;
    let client: PoolClient | undefined;
    let released = false;
    const release = (err?: Error) => {
      if (released || !client) return;
      released = true;
      client.release(err);
    };
    try {
      client = await this.pool.connect();
      client.on('notification', (msg) => {
        if (msg.channel === store.cancelChannel && msg.payload) runner.stop(msg.payload, 'cancel');
      });
      client.on('error', (err) => {
        logger.warn('cancel listener lost its connection; reconnecting', { reason: err.message });
        release(err);
        this.listener = undefined;
        setTimeout(() => void this.listen(), 1_000).unref();
      });
      await client.query(`LISTEN "${store.cancelChannel}"`);
      this.listener = { release: () => release() };
    } catch (err) {
      release(err as Error);
      logger.warn('cancel listener could not start; retrying', { reason: (err as Error).message });
      setTimeout(() => void this.listen(), 1_000).unref();
    }
  }

  private async beat(): Promise<void> {
    const { db, runner, recovery, logger, config } = this.deps;
    // Checked on every tick, not only when a heartbeat fails: one that hangs (a half-open
    // connection) must stop our tasks too, before the others may declare us dead.
    if (Date.now() - this.lastHeartbeatOk > config.workerStaleMs / 2 && runner.activeCount > 0) {
      logger.error('no heartbeat written for half the stale time; stopping this instance’s running tasks');
      runner.stopAll('lease-lost');
    }
    if (this.beating) return;
    this.beating = true;
    // No client-side query timeout in pg: a beat on a half-open connection would hang for good
    // and no later beat would run. Give up on it after two intervals; the next tick tries again.
    const gaveUp = setTimeout(() => {
      this.beating = false;
    }, config.heartbeatMs * 2);
    gaveUp.unref();
    try {
      const rows = await db.query<{ id: string }>('UPDATE task_workers SET heartbeat_at = now() WHERE id = $1 RETURNING id', [runner.workerId]);
      if (!rows.length) {
        // Another instance declared us dead and has settled our tasks: stop them here.
        logger.error('this instance was declared dead by the others; stopping its running tasks');
        runner.stopAll('lease-lost');
        await db.query('INSERT INTO task_workers (id, instance) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [runner.workerId, processInstanceName()]);
      }
      this.lastHeartbeatOk = Date.now();
      const mine = await db.query<{ id: string; cancel_requested: boolean; orphan: boolean }>(
        // A step of a workflow that has ended counts as cancel-requested: the workflow's end may
        // have skipped its row while a progress report held it.
        `SELECT t.id, t.cancel_requested OR coalesce(w.status <> 'running', false) AS cancel_requested,
                t.started_at < now() - $2::int * interval '1 millisecond' AS orphan
         FROM tasks t LEFT JOIN workflows w ON w.id = t.workflow_id
         WHERE t.worker_id = $1 AND t.status = 'running'`,
        [runner.workerId, config.heartbeatMs * 2],
      );
      const owned = runner.ownedIds();
      for (const t of mine) if (t.cancel_requested) runner.stop(t.id, 'cancel');
      const orphans = mine.filter((t) => t.orphan && !owned.has(t.id)).map((t) => t.id);
      if (orphans.length) {
        logger.warn('tasks marked running here but not running: settling them', { count: orphans.length });
        await recovery.settleOwn(runner.workerId, orphans);
      }
      await recovery.sweep(config.workerStaleMs);
    } catch (err) {
      logger.warn('task heartbeat failed', { reason: (err as Error).message });
    } finally {
      clearTimeout(gaveUp);
      this.beating = false;
    }
  }

  /** Graceful stop: running tasks get a grace period, then are interrupted (and resume elsewhere or on restart). */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { db, runner, logger } = this.deps;
    clearInterval(this.heartbeat);
    const grace = setTimeout(() => runner.stopAll('shutdown'), graceMs);
    try {
      await this.graphile?.stop();
    } catch (err) {
      logger.warn('queue did not stop cleanly', { reason: (err as Error).message });
    } finally {
      clearTimeout(grace);
    }
    await runner.idle();
    this.listener?.release();
    // Jobs whose completion had not landed yet stay locked by this pool; nothing of ours runs
    // any more, so they are free for the next instance now rather than after 4 hours.
    await db
      .transaction(async (tx) => {
        await tx.query(`SELECT ${this.deps.store.queueSchema}.force_unlock_workers($1::text[])`, [[runner.workerId]]);
        await tx.query('DELETE FROM task_workers WHERE id = $1', [runner.workerId]);
      })
      .catch((err: unknown) => logger.warn('queue worker not deregistered', { reason: (err as Error).message }));
    await this.pool?.end().catch(() => undefined);
  }
}
