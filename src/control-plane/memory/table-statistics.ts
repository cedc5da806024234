import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';

/**
 * The columns searches filter on. ANALYZE of these alone sets the table's row count and their
 * distributions, which is what the planner needs to prefer the HNSW index; sampling the
 * embedding and text columns as well costs ten times as long (14 s instead of 1.5 s at 100,000
 * rows of 1,536 dimensions on PGlite) and informs no plan.
 */
const ANALYZED = 'memories (embedding_model, dimensions, type, user_id, session_id, agent, project_id, created_at)';

/**
 * PGlite runs no autovacuum, so nothing would ever ANALYZE `memories`: the planner then
 * believes the table holds a couple of rows and ranks every row exactly (6 s per search at
 * 100,000 rows instead of ~20 ms through the index). This does autovacuum's analyze part for
 * the embedded database, with its threshold: after 50 + 10 % of the rows were written or
 * deleted since the last run. Server PostgreSQL has autovacuum, and this does nothing there.
 */
export class TableStatistics {
  private changed = 0;
  private rowsAtLastRun = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  get enabled(): boolean {
    return this.db.kind === 'pglite';
  }

  /** Counts written or deleted rows and starts an ANALYZE in the background once enough changed. */
  noteChanges(rows: number): void {
    if (!this.enabled || rows <= 0) return;
    this.changed += rows;
    if (this.changed >= 50 + 0.1 * this.rowsAtLastRun) void this.refresh();
  }

  /** ANALYZE now (at most one at a time; a call during a run waits for it). */
  refresh(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const changed = this.changed;
    this.changed = 0;
    const started = performance.now();
    try {
      await this.db.exec(`ANALYZE ${ANALYZED}`);
      const [row] = await this.db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'memories'::regclass`);
      this.rowsAtLastRun = Math.max(0, row?.n ?? 0);
      this.logger?.debug('memories analyzed', { rows: this.rowsAtLastRun, changedSince: changed, ms: Math.round(performance.now() - started) });
    } catch (err) {
      // Statistics only steer plans: a failed run (e.g. the database closing) costs speed, not answers.
      this.changed += changed;
      this.logger?.warn('ANALYZE memories failed', { reason: (err as Error).message });
    }
  }
}
