import type { Logger } from '../../common/logger';
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
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly options: AuditRetentionOptions,
  ) {
    if (!(options.olderThanDays > 0)) throw new RangeError('olderThanDays must be positive');
  }

  start(): void {
    if (this.timer) return;
    const interval = this.options.intervalMs ?? 86_400_000;
    this.timer = setTimeout(() => {
      this.runOnce();
      this.timer = setInterval(() => this.runOnce(), interval);
      this.timer.unref();
    }, this.options.firstRunMs ?? 60_000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a prune in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.audit
      .prune({ olderThanDays: this.options.olderThanDays })
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger.warn('audit retention prune failed', { reason: (err as Error).message });
        },
      )
      .finally(() => (this.running = undefined));
  }
}
