import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { isUint8Array } from 'node:util/types';
import { writeFileAtomic } from '../../common/atomic-file';
import { AppError, GatewayTimeoutError } from '../../common/errors';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { WorkerRequests } from '../../common/ts-worker';
import { callerSql, jarvisAnswer, type JarvisAnswer } from './jarvis-query';
import { callerError, JARVIS_SOURCE_TABLES, type JarvisQuery } from './jarvis-source';
import type { SnapshotReply, SnapshotRequest, SnapshotTable, SnapshotTemplateNotice, SnapshotWorkerData } from './jarvis-snapshot-worker';

export interface JarvisSnapshotOptions {
  db: Db;
  logger: Logger;
  /** A snapshot older than this is taken again before the next query. Default 10 s. */
  maxAgeMs?: number;
  /** Rows copied per table at most, the most recent first. Default 20,000. */
  maxRowsPerTable?: number;
  /** Bytes of rows (as PostgreSQL stores them) copied per table at most, the most recent first. Default 64 MiB. */
  maxBytesPerTable?: number;
  /** Rows read per statement while copying: the control plane's thread is free between two. Default 200. */
  rowsPerRead?: number;
  /** The worker (and its copy) is stopped after this long without a query. Default 5 min. */
  idleMs?: number;
  /** Time allowed to start the worker and load a snapshot. Default 60 s. */
  loadTimeoutMs?: number;
  /**
   * Where the first worker leaves its freshly initialised database for the later ones to start
   * from (0.5 s instead of initdb's 2–4 s). Several sources may share one; default: this
   * source's own, in memory.
   */
  template?: SnapshotTemplate;
}

/**
 * A dump of a fresh database for the snapshot worker (gzip tar, ~2.5 MB), once a worker has
 * made it. With a file (the control plane keeps it in its data directory), it is read from
 * there by the first worker of a later process too, and written there when a worker makes one;
 * a file that does not load makes that worker run initdb and replace it.
 */
export class SnapshotTemplate {
  private current: Uint8Array | undefined;
  private loading: Promise<void> | undefined;
  /** The last write to the file (tests wait for it). */
  saved: Promise<void> = Promise.resolve();

  constructor(private readonly options: { file?: string; logger?: Logger } = {}) {}

  get bytes(): Uint8Array | undefined {
    return this.current;
  }

  /** Reads the file once; a missing or unreadable one means there is none yet. */
  load(): Promise<void> {
    const { file } = this.options;
    this.loading ??= file
      ? readFile(file).then(
          (data) => {
            this.current ??= new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          },
          () => undefined,
        )
      : Promise.resolve();
    return this.loading;
  }

  /** Keeps a template a worker made and, with a file, writes it there (atomically). */
  set(bytes: Uint8Array): void {
    this.current = bytes;
    const { file, logger } = this.options;
    if (!file) return;
    this.saved = mkdir(path.dirname(file), { recursive: true })
      .then(() => writeFileAtomic(file, bytes))
      .catch((err: unknown) => {
        logger?.warn('analytics snapshot template not saved; the next start runs initdb again', { file, reason: (err as Error).message });
      });
  }
}

function isTemplateNotice(message: unknown): message is SnapshotTemplateNotice {
  return typeof message === 'object' && message !== null && (message as { notice?: unknown }).notice === 'template' && isUint8Array((message as { bytes?: unknown }).bytes);
}

/**
 * The unique order that reads each table from newest to oldest (what a row cap keeps), one
 * chunk after another. tasks, task_events, ai_ledger and workflows have an index on it
 * (migration 014 for tasks and workflows); task_schedules and ai_spend hold a few rows per
 * schedule or per scope and month.
 */
const NEWEST_FIRST: Record<(typeof JARVIS_SOURCE_TABLES)[number], readonly string[]> = {
  workflows: ['created_at', 'id'],
  tasks: ['seq'],
  task_events: ['id'],
  task_schedules: ['created_at', 'id'],
  ai_ledger: ['id'],
  ai_spend: ['month', 'scope'],
};

/**
 * Source "jarvis" on the embedded database. PGlite runs in this process and cannot interrupt a
 * statement, so the caller's SQL never runs on it: the tables source "jarvis" may read (and
 * only those) are copied into a second, in-memory PGlite on a worker thread, and the query runs
 * there, in a READ ONLY transaction, wrapped as one subquery with a row cap, exactly as on
 * server PostgreSQL. A query past its time limit, or whose caller goes away, is ended by
 * terminating the worker; the next query starts another. The copy is taken again when it is
 * older than `maxAgeMs`, so answers may be that much behind; each answer says when it was taken.
 * Copying reads the tables on the control plane's database, whose thread is held while a
 * statement runs: each table is read newest first in chunks of `rowsPerRead` rows over an index
 * on its order, with the event loop turning between chunks, and at most `maxRowsPerTable` rows
 * and `maxBytesPerTable` of each table are copied, only when a query finds the copy stale.
 */
export class JarvisSnapshotSource {
  private readonly requests: WorkerRequests<SnapshotRequest, SnapshotReply>;
  /** The worker generation the copy was loaded into (-1: none yet), and when it was taken. */
  private loadedIn = -1;
  private takenAt = 0;
  private notes: string[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private readonly maxAgeMs: number;
  private readonly maxRowsPerTable: number;
  private readonly maxBytesPerTable: number;
  private readonly rowsPerRead: number;
  private readonly idleMs: number;
  private readonly loadTimeoutMs: number;
  private readonly template: SnapshotTemplate;

  constructor(private readonly options: JarvisSnapshotOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.maxRowsPerTable = options.maxRowsPerTable ?? 20_000;
    this.maxBytesPerTable = options.maxBytesPerTable ?? 64 * 2 ** 20;
    this.rowsPerRead = options.rowsPerRead ?? 200;
    this.idleMs = options.idleMs ?? 300_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 60_000;
    const template = (this.template = options.template ?? new SnapshotTemplate());
    this.requests = new WorkerRequests<SnapshotRequest, SnapshotReply>(path.join(__dirname, 'jarvis-snapshot-worker.ts'), {
      failed: (answer) => callerError({ code: answer.code, message: answer.message }) ?? new AppError(500, 'SOURCE_FAILED', `The copy of the tables failed the query: ${answer.message}`),
      died: (reason) => new AppError(503, 'SOURCE_UNAVAILABLE', `The worker holding the copy of the tables stopped (${reason}); try again`),
      stopped: () => new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" was closed; try again'),
      onError: (err) => options.logger.warn('analytics snapshot worker failed', { reason: err.message }),
      idleMs: this.idleMs,
      workerData: () => ({ template: template.bytes }) satisfies SnapshotWorkerData,
      onNotice: (message) => {
        if (isTemplateNotice(message)) template.set(message.bytes);
      },
    });
  }

  /** One query at a time: the copy is one PGlite session. */
  query(q: JarvisQuery): Promise<JarvisAnswer> {
    const run = this.chain.then(() => this.run(q));
    this.chain = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    return this.requests.stop();
  }

  private async run(q: JarvisQuery): Promise<JarvisAnswer> {
    const started = performance.now();
    const sql = callerSql(q.sql);
    q.signal?.throwIfAborted();
    // The copy lives in the worker: none yet, or the worker it was loaded into is gone (a
    // timeout, a crash, idle time), or it is stale.
    if (this.loadedIn !== this.requests.generation || Date.now() - this.takenAt > this.maxAgeMs) await this.refresh(q.signal);
    const reply = await this.requests.send(
      { type: 'query', sql, params: [...q.params], maxRows: q.maxRows },
      { timeoutMs: q.timeoutMs, onTimeout: () => new GatewayTimeoutError('QUERY_TIMEOUT', 'The query ran past its time limit and was cancelled'), signal: q.signal, endOnAbort: 'always' },
    );
    const hints = [`Embedded database: answered from a copy of the tables taken at ${new Date(this.takenAt).toISOString()} (taken again when older than ${this.maxAgeMs / 1000} s)`, ...this.notes];
    return jarvisAnswer(reply.columns ?? [], reply.rows ?? [], q.maxRows, hints, started);
  }

  /** Copies the tables into the worker's database (starting the worker if needed). */
  private async refresh(signal: AbortSignal | undefined): Promise<void> {
    // The worker (and its database) start while the tables are read here, from the template
    // if there is one (its file is read once, ~2.5 MB).
    await this.template.load();
    this.requests.warm();
    const tables: SnapshotTable[] = [];
    const notes: string[] = [];
    const { db } = this.options;
    const takenAt = Date.now();
    for (const name of JARVIS_SOURCE_TABLES) {
      const columns = await db.query<{ name: string; type: string }>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [`${db.schema}.${name}`],
      );
      const { chunks, kept, cut } = await this.readNewest(name, columns, signal);
      if (cut) notes.push(`${name}: the copy holds the newest ${kept.toLocaleString('en-US')} rows; older ones are left out`);
      tables.push({ name, columns, rowsJson: chunks });
    }
    await this.requests.send(
      { type: 'load', tables },
      { timeoutMs: this.loadTimeoutMs, onTimeout: () => new AppError(503, 'SOURCE_UNAVAILABLE', 'The copy of the tables for source "jarvis" could not be loaded in time; try again'), signal, endOnAbort: 'always' },
    );
    this.loadedIn = this.requests.generation;
    this.takenAt = takenAt;
    this.notes = notes;
  }

  /**
   * Reads a table newest first, `rowsPerRead` rows per statement, up to the row and byte limits.
   * Each statement starts where the previous one ended (keyset on the table's unique order), and
   * the event loop turns between two, so the control plane's requests are answered meanwhile.
   * Rows are therefore read as they are when their chunk is read: not one point in time.
   */
  private async readNewest(
    name: (typeof JARVIS_SOURCE_TABLES)[number],
    columns: ReadonlyArray<{ name: string; type: string }>,
    signal: AbortSignal | undefined,
  ): Promise<{ chunks: string[]; kept: number; cut: boolean }> {
    const { db } = this.options;
    const keys = NEWEST_FIRST[name];
    const keyTypes = keys.map((k) => columns.find((c) => c.name === k)?.type);
    if (keyTypes.some((t) => t === undefined)) throw new Error(`table ${name} lacks its order column (${keys.join(', ')})`);
    const desc = keys.map((k) => `${k} DESC`).join(', ');
    const chunks: string[] = [];
    let kept = 0;
    let bytes = 0;
    let after: string[] | null = null;
    for (;;) {
      signal?.throwIfAborted();
      // One row more than the row limit leaves tells whether older rows are left out.
      const rowsLeft = this.maxRowsPerTable - kept;
      const limit = Math.min(this.rowsPerRead, rowsLeft + 1);
      const params: unknown[] = [limit, this.maxBytesPerTable - bytes, rowsLeft];
      const where: string = after ? `WHERE (${keys.join(', ')}) < (${after.map((v, i) => `$${params.push(v)}::${keyTypes[i]}`).join(', ')})` : '';
      // The copy's json_populate_recordset ignores the jarvis_* keys.
      const [chunk] = await db.query<{ rows: string; kept: string | number; seen: string | number; bytes: string | number; last: string[] | null }>(
        `WITH chunk AS (SELECT t.*, pg_column_size(t.*) AS jarvis_bytes FROM ${db.schema}.${name} AS t ${where} ORDER BY ${desc} LIMIT $1),
              sized AS (SELECT c.*, sum(c.jarvis_bytes) OVER (ORDER BY ${desc} ROWS UNBOUNDED PRECEDING) AS jarvis_total,
                               row_number() OVER (ORDER BY ${desc}) AS jarvis_row FROM chunk AS c),
              fits AS (SELECT s.*, (s.jarvis_total <= $2 AND s.jarvis_row <= $3) AS jarvis_fits FROM sized AS s)
         SELECT coalesce(json_agg(f ORDER BY jarvis_row) FILTER (WHERE jarvis_fits), '[]')::text AS rows,
                count(*) FILTER (WHERE jarvis_fits) AS kept, count(*) AS seen,
                coalesce(max(jarvis_total) FILTER (WHERE jarvis_fits), 0) AS bytes,
                (json_agg(json_build_array(${keys.map((k) => `${k}::text`).join(', ')}) ORDER BY jarvis_row DESC) FILTER (WHERE jarvis_fits)) -> 0 AS last
         FROM fits AS f`,
        params,
      );
      const keptHere = Number(chunk!.kept);
      const seen = Number(chunk!.seen);
      if (keptHere > 0) chunks.push(chunk!.rows);
      kept += keptHere;
      bytes += Number(chunk!.bytes);
      // Fewer rows than asked: the table ends here. Fewer kept than read: a limit was reached.
      if (keptHere < seen) return { chunks, kept, cut: true };
      if (seen < limit) return { chunks, kept, cut: false };
      after = chunk!.last;
      await setImmediate();
    }
  }
}
