import type { Logger } from './logger';

export interface PeriodicTaskOptions {
  intervalMs: number;
  /** Wait before the first run; undefined runs it at start. */
  firstRunMs?: number;
  logger: Logger;
  /** Logged (as a warning, with the error's message as `reason`) when a run fails; the next run tries again. */
  failure: string;
}

/**
 * Background work repeated every `intervalMs`, at most one run at a time. The timers are
 * unref'd, so they never keep a process alive; a failed run is logged, not thrown.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly options: PeriodicTaskOptions,
  ) {}

  get started(): boolean {
    return this.timer !== undefined;
  }

  /** Starts the schedule; resolves when the first run ended if it runs at once, else at once. */
  start(): Promise<void> {
    if (this.timer) return Promise.resolve();
    const repeat = () => {
      this.timer = setInterval(() => void this.runNow(), this.options.intervalMs);
      this.timer.unref();
    };
    if (this.options.firstRunMs === undefined) {
      repeat();
      return this.runNow();
    }
    this.timer = setTimeout(() => {
      void this.runNow();
      repeat();
    }, this.options.firstRunMs);
    this.timer.unref();
    return Promise.resolve();
  }

  /** Runs now, or joins the run in progress; resolves when it ended (failures are logged). */
  runNow(): Promise<void> {
    this.running ??= this.run()
      .catch((err: unknown) => {
        this.options.logger.warn(this.options.failure, { reason: (err as Error).message });
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
