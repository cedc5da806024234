import path from 'node:path';
import { AppError, GatewayTimeoutError } from '../../common/errors';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { WorkerRequests } from '../../common/ts-worker';
import { callerSql, jarvisAnswer, type JarvisAnswer } from './jarvis-query';
import { callerError, JARVIS_SOURCE_TABLES, type JarvisQuery } from './jarvis-source';
import type { SnapshotReply, SnapshotRequest, SnapshotTable } from './jarvis-snapshot-worker';

export interface JarvisSnapshotOptions {
  db: Db;
  logger: Logger;
  /** A snapshot older than this is taken again before the next query. Default 10 s. */
  maxAgeMs?: number;
  /** Rows copied per table at most, the most recent first. Default 20,000. */
  maxRowsPerTable?: number;
  /** Bytes of rows (as PostgreSQL stores them) copied per table at most, the most recent first. Default 64 MiB. */
  maxBytesPerTable?: number;
  /** The worker (and its copy) is stopped after this long without a query. Default 5 min. */
  idleMs?: number;
  /** Time allowed to start the worker and load a snapshot. Default 60 s. */
  loadTimeoutMs?: number;
}

/** The column that orders each table from newest to oldest (what a row cap keeps). */
const NEWEST_FIRST: Record<(typeof JARVIS_SOURCE_TABLES)[number], string> = {
  workflows: 'created_at',
  tasks: 'seq',
  task_events: 'id',
  task_schedules: 'created_at',
  ai_ledger: 'id',
  ai_spend: 'month',
};

/**
 * Source "jarvis" on the embedded database. PGlite runs in this process and cannot interrupt a
 * statement, so the caller's SQL never runs on it: the tables source "jarvis" may read (and
 * only those) are copied into a second, in-memory PGlite on a worker thread, and the query runs
 * there, in a READ ONLY transaction, wrapped as one subquery with a row cap, exactly as on
 * server PostgreSQL. A query past its time limit, or whose caller goes away, is ended by
 * terminating the worker; the next query starts another. The copy is taken again when it is
 * older than `maxAgeMs`, so answers may be that much behind; each answer says when it was taken.
 * Copying reads the tables on the control plane's database, whose thread it holds while each
 * table is read: measured here, 20,000 task rows (the default cap) held it for about 0.26 s,
 * 100,000 for 1.1 s; so at most `maxRowsPerTable` rows and `maxBytesPerTable` of each table
 * are copied, newest first, and only when a query finds the copy stale.
 */
export class JarvisSnapshotSource {
  private readonly requests: WorkerRequests<SnapshotRequest, SnapshotReply>;
  /** The worker generation the copy was loaded into (-1: none yet), and when it was taken. */
  private loadedIn = -1;
  private takenAt = 0;
  private notes: string[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly maxAgeMs: number;
  private readonly maxRowsPerTable: number;
  private readonly maxBytesPerTable: number;
  private readonly idleMs: number;
  private readonly loadTimeoutMs: number;

  constructor(private readonly options: JarvisSnapshotOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.maxRowsPerTable = options.maxRowsPerTable ?? 20_000;
    this.maxBytesPerTable = options.maxBytesPerTable ?? 64 * 2 ** 20;
    this.idleMs = options.idleMs ?? 300_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
    this.requests = new WorkerRequests<SnapshotRequest, SnapshotReply>(path.join(__dirname, 'jarvis-snapshot-worker.ts'), {
      failed: (answer) => callerError({ code: answer.code, message: answer.message }) ?? new AppError(500, 'SOURCE_FAILED', `The copy of the tables failed the query: ${answer.message}`),
      died: (reason) => new AppError(503, 'SOURCE_UNAVAILABLE', `The worker holding the copy of the tables stopped (${reason}); try again`),
      stopped: () => new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" was closed; try again'),
      onError: (err) => options.logger.warn('analytics snapshot worker failed', { reason: err.message }),
    });
  }

  /** One query at a time: the copy is one PGlite session. */
  query(q: JarvisQuery): Promise<JarvisAnswer> {
    const run = this.chain.then(() => this.run(q));
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.requests.stop();
  }

  private async run(q: JarvisQuery): Promise<JarvisAnswer> {
    const started = performance.now();
    const sql = callerSql(q.sql);
    q.signal?.throwIfAborted();
    clearTimeout(this.idleTimer);
    try {
      // The copy lives in the worker: none yet, or the worker it was loaded into is gone (a
      // timeout, a crash, idle time), or it is stale.
      if (this.loadedIn !== this.requests.generation || Date.now() - this.takenAt > this.maxAgeMs) await this.refresh(q.signal);
      const reply = await this.requests.send(
        { type: 'query', sql, params: [...q.params], maxRows: q.maxRows },
        { timeoutMs: q.timeoutMs, onTimeout: () => new GatewayTimeoutError('QUERY_TIMEOUT', 'The query ran past its time limit and was cancelled'), signal: q.signal, endOnAbort: 'always' },
      );
      const hints = [`Embedded database: answered from a copy of the tables taken at ${new Date(this.takenAt).toISOString()} (taken again when older than ${this.maxAgeMs / 1000} s)`, ...this.notes];
      return jarvisAnswer(reply.columns ?? [], reply.rows ?? [], q.maxRows, hints, started);
    } finally {
      this.idleTimer = setTimeout(() => void this.requests.stop(), this.idleMs).unref();
    }
  }

  /** Copies the tables into the worker's database (starting the worker if needed). */
  private async refresh(signal: AbortSignal | undefined): Promise<void> {
    const tables: SnapshotTable[] = [];
    const notes: string[] = [];
    const { db } = this.options;
    const takenAt = Date.now();
    for (const name of JARVIS_SOURCE_TABLES) {
      const table = `${db.schema}.${name}`;
      const columns = await db.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      );
      // Newest first, up to the row and byte limits. Only the newest maxRows + 1 rows are read
      // (no pass over a whole table: this runs on the control plane's own thread); the extra
      // row tells whether older ones were left out. The copy's json_populate_recordset ignores
      // the jarvis_* keys.
      const order = NEWEST_FIRST[name];
      const [copy] = await db.query<{ rows: string; kept: string | number; seen: string | number }>(
        `WITH newest AS (SELECT * FROM ${table} ORDER BY ${order} DESC LIMIT $1 + 1),
              sized AS (SELECT n.*, sum(pg_column_size(n.*)) OVER (ORDER BY n.${order} DESC) AS jarvis_bytes,
                               row_number() OVER (ORDER BY n.${order} DESC) AS jarvis_row FROM newest AS n)
         SELECT coalesce(json_agg(s), '[]')::text AS rows, count(*) AS kept, (SELECT count(*) FROM newest) AS seen
         FROM sized AS s WHERE jarvis_bytes <= $2 AND jarvis_row <= $1`,
        [this.maxRowsPerTable, this.maxBytesPerTable],
      );
      const kept = Number(copy!.kept);
      if (Number(copy!.seen) > kept) notes.push(`${name}: the copy holds the newest ${kept.toLocaleString('en-US')} rows; older ones are left out`);
      tables.push({ name, columns, rowsJson: copy!.rows });
    }
    await this.requests.send(
      { type: 'load', tables },
      { timeoutMs: this.loadTimeoutMs, onTimeout: () => new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" could not be loaded in time; try again'), signal, endOnAbort: 'always' },
    );
    this.loadedIn = this.requests.generation;
    this.takenAt = takenAt;
    this.notes = notes;
  }
}
