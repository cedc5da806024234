import type { Logger } from '../../common/logger';
import { PeriodicTask } from '../../common/periodic-task';
import type { AuditLog } from './audit-log';

export interface AuditRetentionOptions {
  /** Entries older than this are pruned (AUDIT_RETENTION_DAYS; 0 keeps them forever and this job is not started). */
  olderThanDays: number;
  /** How often to prune. Default daily. */
  intervalMs?: number;
  /** Wait before the first prune, so start-up is not slowed. Default one minute. */
  firstRunMs?: number;
}

/**
 * Prunes the audit log periodically. Every instance may run one: prunes are serialised by the
 * chain's lock, and a second one in a row finds (almost) nothing left to do. The timers are
 * unref'd, so they never keep a process alive.
 */
export class AuditRetentionJob {
  private readonly task: PeriodicTask;

  constructor(audit: AuditLog, logger: Logger, options: AuditRetentionOptions) {
    if (!(options.olderThanDays > 0)) throw new RangeError('olderThanDays must be positive');
    this.task = new PeriodicTask(async () => void (await audit.prune({ olderThanDays: options.olderThanDays })), {
      intervalMs: options.intervalMs ?? 86_400_000,
      firstRunMs: options.firstRunMs ?? 60_000,
      logger,
      failure: 'audit retention prune failed',
    });
  }

  start(): void {
    void this.task.start();
  }

  /** Stops the timer and waits for a prune in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}
