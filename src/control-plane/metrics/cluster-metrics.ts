import { AggregatorRegistry } from 'prom-client';
import { z } from 'zod';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { PeriodicTask } from '../../common/periodic-task';
import type { MetricJson, Metrics } from './metrics';

/** A published snapshot as read back: checked, since another process (or version) wrote it. */
const snapshotSchema = z.array(
  z.object({
    name: z.string().min(1),
    help: z.string(),
    type: z.enum(['counter', 'gauge', 'histogram', 'summary']),
    values: z.array(
      z.object({
        // JSON has no NaN or Infinity: JSON.stringify wrote them as null.
        value: z.number().nullable().transform((v) => v ?? Number.NaN),
        labels: z.record(z.string(), z.union([z.string(), z.number()])),
        metricName: z.string().optional(),
      }),
    ),
  }),
);

export interface ClusterMetricsOptions {
  db: Db;
  metrics: Pick<Metrics, 'json' | 'contentType'>;
  /** This control plane's name in the `instance` label (unique among the live ones). */
  instance: string;
  /** How often this instance publishes its snapshot (only on server PostgreSQL, where others may read it). */
  publishIntervalMs: number;
  logger: Logger;
}

/**
 * The metrics of every control plane on this database, as the AI DAWG's monitoring reads them:
 * this instance's live metrics plus the other instances' latest published snapshots, each
 * series with an `instance` label so increases are taken per instance (a restart or a stopped
 * instance is then one series resetting or leaving, not every counter). On the embedded
 * database one process owns the data: nothing is published, and the answer is this instance's.
 */
export class ClusterMetrics {
  private readonly publishing: PeriodicTask;
  private readonly shared: boolean;

  constructor(private readonly options: ClusterMetricsOptions) {
    this.shared = options.db.kind === 'postgres';
    this.publishing = new PeriodicTask(() => this.publish(), {
      intervalMs: options.publishIntervalMs,
      logger: options.logger,
      failure: 'publishing this instance\'s metrics failed: the other instances leave it out of what they answer the AI DAWG\'s monitoring',
    });
  }

  get contentType(): string {
    return this.options.metrics.contentType;
  }

  /** Snapshots older than this are of instances taken as gone. */
  get staleAfterMs(): number {
    return 3 * this.options.publishIntervalMs;
  }

  start(): void {
    if (this.shared) void this.publishing.start();
  }

  /**
   * Stops publishing and withdraws this instance's snapshot, so its series leave the others'
   * answers at once. Best effort: if the database is gone, the snapshot ages out (staleAfterMs).
   */
  async stop(): Promise<void> {
    if (!this.publishing.started) return;
    await this.publishing.stop();
    await this.options.db.query('DELETE FROM control_plane_metrics WHERE instance = $1', [this.options.instance]).catch((err: unknown) => {
      this.options.logger.warn('withdrawing this instance\'s metrics failed; the other instances drop them once they are stale', { reason: (err as Error).message });
    });
  }

  async publish(): Promise<void> {
    const snapshot = JSON.stringify(await this.options.metrics.json());
    await this.options.db.query(
      `INSERT INTO control_plane_metrics (instance, metrics, published_at) VALUES ($1, $2::json, now())
       ON CONFLICT (instance) DO UPDATE SET metrics = EXCLUDED.metrics, published_at = EXCLUDED.published_at`,
      [this.options.instance, snapshot],
    );
  }

  /** Prometheus text of every live instance (this one's metrics live, the others' as last published). */
  async render(): Promise<string> {
    const lists = (await this.snapshots()).map((s) => labelled(s.metrics, s.instance));
    const registry = AggregatorRegistry.aggregate(lists as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    return registry.metrics();
  }

  /** Every live instance's metrics: this one's now, the others' as last published (readable ones only). */
  async snapshots(): Promise<Array<{ instance: string; metrics: Array<Omit<MetricJson, 'aggregator'>> }>> {
    const list: Array<{ instance: string; metrics: Array<Omit<MetricJson, 'aggregator'>> }> = [{ instance: this.options.instance, metrics: await this.options.metrics.json() }];
    if (this.shared) {
      const rows = await this.options.db.query<{ instance: string; metrics: unknown }>(
        `SELECT instance, metrics FROM control_plane_metrics WHERE instance <> $1 AND published_at > now() - make_interval(secs => $2) ORDER BY instance`,
        [this.options.instance, this.staleAfterMs / 1000],
      );
      for (const row of rows) {
        const parsed = snapshotSchema.safeParse(row.metrics);
        if (parsed.success) list.push({ instance: row.instance, metrics: parsed.data });
        else this.options.logger.warn('a control plane published metrics this one cannot read; they are left out', { instance: row.instance, issue: parsed.error.issues[0]?.message });
      }
    }
    return list;
  }
}

/** The metrics with `instance` added to every series; `first` keeps each series as it is (none collide across instances). */
function labelled(metrics: readonly Omit<MetricJson, 'aggregator'>[], instance: string): MetricJson[] {
  return metrics.map((metric) => ({
    ...metric,
    aggregator: 'first',
    values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, instance } })),
  }));
}
