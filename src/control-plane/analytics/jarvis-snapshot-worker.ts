import { parentPort, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { dropTemplateDatabases } from '../../common/db';
import { TypeNames, wrappedQuery } from './jarvis-query';

/*
 * Worker thread of JarvisSnapshotSource: an in-memory PGlite holding a copy of the tables source
 * "jarvis" may read, and nothing else. The caller's SQL runs here, so a runaway statement
 * stalls this thread only, and the main thread ends it by terminating the worker. The database
 * has no other tables and its file system is PGlite's in-memory one: nothing else is in reach.
 */

export interface SnapshotTable {
  name: string;
  /** Column name and its type as format_type prints it, in table order. */
  columns: Array<{ name: string; type: string }>;
  /** The rows, newest first, as JSON arrays (json_agg of each chunk read). */
  rowsJson: string[];
}

export type SnapshotRequest =
  | { id: number; type: 'load'; tables: SnapshotTable[] }
  | { id: number; type: 'query'; sql: string; params: Array<string | number | boolean | null>; maxRows: number };

/** What the worker is started with: a template from an earlier worker, if there is one yet. */
export interface SnapshotWorkerData {
  template?: Uint8Array;
}

/**
 * Sent once by a worker that ran initdb: its fresh data directory (gzip tar, ~2.5 MB), for
 * the next workers to start from.
 */
export interface SnapshotTemplateNotice {
  notice: 'template';
  bytes: Uint8Array;
}

export type SnapshotReply =
  | { id: number; ok: true; columns?: Array<{ name: string; type: string }>; rows?: unknown[][] }
  | { id: number; ok: false; code: string; message: string };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The copy holds at most a few hundred MB and lives in PGlite's in-memory file system, where a
 * page not in shared buffers is a copy away: PGlite's default shared memory (shared_buffers
 * 128MB, sized for 100 connections) would only make each start slower, as the WASM build zeroes
 * it (~0.5 s). One session.
 */
const SETTINGS = ['shared_buffers = 32MB', 'max_connections = 10'];

/**
 * initdb takes 2–4 s; loading a data directory dumped right after it, 0.5 s. The first worker
 * runs initdb and hands its fresh directory to the main thread (JarvisSnapshotSource), which
 * starts the later ones from it (after an idle stop, a timeout, a cancelled query). The
 * template databases go first: nothing can create a database here, and they are 2/3 of it.
 */
async function open(template: Uint8Array | undefined): Promise<PGlite> {
  if (template) {
    try {
      // Unzipped here: PGlite's own gunzip reports a damaged file as an unhandled rejection
      // that ends the worker, where zlib throws (and is faster).
      return await PGlite.create('memory://', { loadDataDir: new Blob([gunzipSync(template)], { type: 'application/x-tar' }), postgresqlconf: SETTINGS });
    } catch {
      // Should a template fail to load, initdb as if there were none.
    }
  }
  const pg = await PGlite.create('memory://', { postgresqlconf: SETTINGS });
  await dropTemplateDatabases(pg);
  await pg.exec('CHECKPOINT');
  const bytes = new Uint8Array(await (await pg.dumpDataDir('gzip')).arrayBuffer());
  parentPort?.postMessage({ notice: 'template', bytes } satisfies SnapshotTemplateNotice, [bytes.buffer]);
  return pg;
}

// Started as the worker starts: the main thread starts it before reading the tables
// (JarvisSnapshotSource.refresh), so PGlite's start-up overlaps that reading.
const db: Promise<PGlite> = open((workerData as SnapshotWorkerData | null)?.template);
db.catch(() => undefined); // a failed start is reported to the first request
const typeNames = new TypeNames();

async function load(tables: readonly SnapshotTable[]): Promise<void> {
  const pg = await db;
  await pg.transaction(async (tx) => {
    for (const t of tables) {
      await tx.exec(`DROP TABLE IF EXISTS ${quote(t.name)}; CREATE TABLE ${quote(t.name)} (${t.columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ')})`);
      for (const rows of t.rowsJson) await tx.query(`INSERT INTO ${quote(t.name)} SELECT * FROM json_populate_recordset(NULL::${quote(t.name)}, $1::json)`, [rows]);
    }
  });
}

async function query(sql: string, params: readonly unknown[], maxRows: number): Promise<{ columns: Array<{ name: string; type: string }>; rows: unknown[][] }> {
  const pg = await db;
  const { text, values } = wrappedQuery(sql, params, maxRows);
  await pg.exec('BEGIN READ ONLY');
  try {
    const result = await pg.query<unknown[]>(text, values, { rowMode: 'array' });
    return {
      columns: await typeNames.columns(result.fields, (text, values) => pg.query(text, values)),
      // Dates, bigints and bytes cross to the main thread as they are; jarvisAnswer makes them JSON.
      rows: result.rows,
    };
  } finally {
    await pg.exec('ROLLBACK');
  }
}

parentPort?.on('message', (request: SnapshotRequest) => {
  const work = request.type === 'load' ? load(request.tables).then(() => ({})) : query(request.sql, request.params, request.maxRows);
  work.then(
    (value) => parentPort!.postMessage({ id: request.id, ok: true, ...value } satisfies SnapshotReply),
    (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown };
      parentPort!.postMessage({ id: request.id, ok: false, code: typeof e.code === 'string' ? e.code : '', message: typeof e.message === 'string' ? e.message : String(err) } satisfies SnapshotReply);
    },
  );
});
