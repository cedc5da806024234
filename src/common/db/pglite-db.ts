import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Pool } from 'pg';
import { PglitePool } from './pglite-pool';
import { assertSchemaName, type Db, type Queryable } from './db';

function wrap(target: PGlite | Transaction): Queryable {
  return {
    async query<R extends object>(text: string, params?: readonly unknown[]) {
      const result = await target.query<R>(text, params ? [...params] : undefined);
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  };
}

export interface PgliteOptions {
  /** A directory to persist into, or undefined for an in-memory database. */
  dataDir?: string;
  schema: string;
  /** postgresql.conf lines (`name = value`) applied at start, e.g. a larger shared_buffers. */
  settings?: readonly string[];
  /** A data directory dumped by PGlite (`dumpDataDir`) to start from instead of running initdb (tests: ~1 s instead of ~3 s). */
  loadDataDir?: Blob;
}

/**
 * Embedded PostgreSQL (WASM) in this process. It has a single connection and serialises
 * queries itself; a transaction holds that connection until it ends.
 */
export async function openPglite(options: PgliteOptions): Promise<Db> {
  const schema = assertSchemaName(options.schema);
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const pg = await PGlite.create(options.dataDir ?? 'memory://', {
    extensions: { vector },
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    ...(options.settings?.length ? { postgresqlconf: [...options.settings] } : {}),
  });
  return pgliteDb(pg, schema);
}

/**
 * The Db port over a PGlite started with the vector extension (openPglite's second half, for
 * a caller that needs the PGlite itself too, e.g. to dump its data directory). Closing the Db
 * closes the PGlite.
 */
export async function pgliteDb(pg: PGlite, schemaName: string): Promise<Db> {
  const schema = assertSchemaName(schemaName);
  await pg.exec(`CREATE EXTENSION IF NOT EXISTS vector; CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}, public;`);
  const root = wrap(pg);
  return {
    kind: 'pglite',
    schema,
    vector: true,
    query: root.query,
    exec: root.exec,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    createPool() {
      const pool = new PglitePool(pg);
      // One in-process session: nothing can fail idle, but graphile-worker checks that both handlers exist.
      pool.on('error', () => undefined);
      pool.on('connect', () => undefined);
      return pool as unknown as Pool;
    },
    close: () => pg.close(),
  };
}

/**
 * Drops template0 and template1, for a PGlite that is dumped as a template of its own: nothing
 * creates databases in it, and they are 2/3 of a fresh data directory (25 MB left of 40).
 */
export async function dropTemplateDatabases(pg: PGlite): Promise<void> {
  for (const name of ['template0', 'template1']) {
    await pg.exec(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`);
    await pg.exec(`DROP DATABASE ${name}`); // alone: DROP DATABASE refuses a transaction block
  }
}
