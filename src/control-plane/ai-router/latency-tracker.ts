import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { PeriodicTask } from '../../common/periodic-task';

/**
 * Per-model latency as an exponential moving average of real calls, seeded with the catalog's
 * prior so a model never called yet still ranks by what its provider advertises.
 */
export class LatencyTracker {
  private readonly averages = new Map<string, { ms: number; samples: number }>();

  constructor(
    private readonly prior: (modelKey: string) => number,
    /** Weight of the newest call; 0.2 follows a shift within about ten calls. */
    private readonly alpha = 0.2,
  ) {}

  observe(modelKey: string, ms: number): void {
    const current = this.averages.get(modelKey);
    if (!current) {
      this.averages.set(modelKey, { ms, samples: 1 });
      return;
    }
    current.ms += this.alpha * (ms - current.ms);
    current.samples++;
  }

  /** The average as measured elsewhere (the ledger's latest calls), replacing this instance's. */
  replace(modelKey: string, ms: number, samples: number): void {
    this.averages.set(modelKey, { ms, samples });
  }

  latencyMs(modelKey: string): number {
    return this.averages.get(modelKey)?.ms ?? this.prior(modelKey);
  }

  samples(modelKey: string): number {
    return this.averages.get(modelKey)?.samples ?? 0;
  }
}

/** Successful calls per model the shared average is taken over. */
const LEDGER_LATENCY_CALLS = 20;

/**
 * Keeps every instance's latency averages on the same footing: at start and then every
 * `intervalMs` the average of each model is recomputed from its latest successful calls in the
 * ledger (all instances', and those before a restart), the same moving average in call order.
 * Between refreshes an instance's own calls move its average as they finish.
 */
export class LedgerLatency {
  private readonly task: PeriodicTask;

  constructor(
    private readonly db: Db,
    private readonly tracker: LatencyTracker,
    private readonly modelKeys: readonly string[],
    logger: Logger,
    intervalMs = 60_000,
    private readonly alpha = 0.2,
  ) {
    this.task = new PeriodicTask(() => this.refresh(), {
      intervalMs,
      logger,
      failure: 'reading model latencies from the AI ledger failed; each instance keeps its own until the next try',
    });
  }

  /** Refreshes now (resolves when done), then every interval. */
  start(): Promise<void> {
    return this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Recomputes the averages from the ledger now. */
  async refresh(): Promise<void> {
    const rows = await this.db.query<{ model_key: string; latency_ms: number }>(
      `SELECT m.key AS model_key, l.latency_ms
         FROM unnest($1::text[]) AS m(key)
         CROSS JOIN LATERAL (
           SELECT latency_ms, created_at, id FROM ai_ledger
            WHERE model_key = m.key AND outcome = 'ok' AND latency_ms IS NOT NULL
            ORDER BY created_at DESC, id DESC LIMIT $2) l
        ORDER BY m.key, l.created_at, l.id`,
      [this.modelKeys, LEDGER_LATENCY_CALLS],
    );
    const byModel = new Map<string, number[]>();
    for (const row of rows) {
      const list = byModel.get(row.model_key);
      if (list) list.push(Number(row.latency_ms));
      else byModel.set(row.model_key, [Number(row.latency_ms)]);
    }
    for (const [model, latencies] of byModel) {
      let ms = latencies[0]!;
      for (const next of latencies.slice(1)) ms += this.alpha * (next - ms);
      this.tracker.replace(model, ms, latencies.length);
    }
  }
}
