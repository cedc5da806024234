import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { AppError, GatewayTimeoutError } from '../../common/errors';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { startTsWorker } from '../../common/ts-worker';
import { fieldError } from '../../common/validation';
import { callerError, JARVIS_SOURCE_TABLES, type JarvisAnswer, type JarvisQuery } from './jarvis-source';
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

/** A request as sent, before it is given its id. */
type Unsent = SnapshotRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (reply: SnapshotReply & { ok: true }) => void;
  reject: (err: unknown) => void;
}

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
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
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
  }

  /** One query at a time: the copy is one PGlite session. */
  query(q: JarvisQuery): Promise<JarvisAnswer> {
    const run = this.chain.then(() => this.run(q));
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.stop();
  }

  private async run(q: JarvisQuery): Promise<JarvisAnswer> {
    const started = performance.now();
    const sql = q.sql.replace(/[\s;]+$/u, '');
    if (!sql) throw fieldError('params.sql', 'is empty');
    q.signal?.throwIfAborted();
    clearTimeout(this.idleTimer);
    try {
      if (!this.worker || Date.now() - this.takenAt > this.maxAgeMs) await this.refresh(q.signal);
      const reply = await this.send({ type: 'query', sql, params: [...q.params], maxRows: q.maxRows }, q.timeoutMs, q.signal, () => new GatewayTimeoutError('QUERY_TIMEOUT', 'The query ran past its time limit and was cancelled'));
      const raw = reply.rows ?? [];
      const columns = reply.columns ?? [];
      const truncated = raw.length > q.maxRows;
      const rows = raw.slice(0, q.maxRows).map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));
      const hints = [`Embedded database: answered from a copy of the tables taken at ${new Date(this.takenAt).toISOString()} (taken again when older than ${this.maxAgeMs / 1000} s)`, ...this.notes];
      if (truncated) hints.push(`More than ${q.maxRows} rows matched: aggregate (GROUP BY) or add a LIMIT to get what you need`);
      return { source: 'jarvis', columns, rows, rowCount: rows.length, truncated, durationMs: Math.round((performance.now() - started) * 1000) / 1000, hints };
    } finally {
      this.idleTimer = setTimeout(() => void this.stop(), this.idleMs).unref();
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
    await this.send({ type: 'load', tables }, this.loadTimeoutMs, signal, () => new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" could not be loaded in time; try again'));
    this.takenAt = takenAt;
    this.notes = notes;
  }

  private send(message: Unsent, timeoutMs: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<SnapshotReply & { ok: true }> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        this.pending.delete(id);
      };
      // A statement cannot be interrupted inside PGlite: ending it means ending the worker.
      const timer = setTimeout(() => {
        done();
        reject(onTimeout());
        void this.stop();
      }, timeoutMs);
      const aborted = () => {
        done();
        reject(signal!.reason);
        void this.stop();
      };
      signal?.addEventListener('abort', aborted, { once: true });
      this.pending.set(id, {
        resolve: (reply) => {
          done();
          resolve(reply);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      worker.postMessage({ ...message, id } as SnapshotRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const filename = path.join(__dirname, 'jarvis-snapshot-worker.ts');
    const worker = startTsWorker(filename);
    worker.on('message', (reply: SnapshotReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(callerError({ code: reply.code, message: reply.message }) ?? new AppError(500, 'SOURCE_FAILED', `The copy of the tables failed the query: ${reply.message}`));
    });
    const gone = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.takenAt = 0;
      for (const waiting of this.pending.values()) waiting.reject(new AppError(503, 'SOURCE_UNAVAILABLE', `The worker holding the copy of the tables stopped (${reason}); try again`));
    };
    worker.on('error', (err) => {
      this.options.logger.warn('analytics snapshot worker failed', { reason: err.message });
      gone(err.message);
    });
    worker.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.takenAt = 0;
    // Nothing may be left waiting on a worker that is going away (close() during a query).
    for (const waiting of [...this.pending.values()]) waiting.reject(new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" was closed; try again'));
    await worker?.terminate();
  }
}
