import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Client } from 'pg';
import { migrate, openPglite, openPostgres, type Db, type DbKind } from '../../src/common/db';
import { silentLogger } from './logger';

/** The local test server (trust auth). CI and developer machines both have it. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestDb {
  db: Db;
  /** Closes the database and, on the server, drops this test's schema. */
  drop(): Promise<void>;
}

/**
 * A freshly initialised PGlite data directory (with the vector extension), dumped once and
 * kept in the temp dir: starting from it skips initdb, which is most of a PGlite's ~3 s
 * start-up. Every test database still starts empty (no schema, no migration applied).
 */
let template: Promise<Blob> | undefined;
async function pgliteTemplate(): Promise<Blob> {
  const { version } = JSON.parse(await readFile(path.resolve(__dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  const file = path.join(os.tmpdir(), `jarvis-test-pglite-${version}-${process.getuid?.() ?? 0}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const pg = await PGlite.create('memory://', { extensions: { vector } });
    await pg.exec('CREATE EXTENSION IF NOT EXISTS vector');
    const dump = await pg.dumpDataDir('none');
    await pg.close();
    // Written aside and renamed: a parallel worker reads the whole file or none of it.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
    return dump;
  }
}

/** A fresh database for one test file: in-memory PGlite, or an own schema on the server. */
export async function openTestDb(kind: DbKind, options: { migrate?: boolean; schema?: string } = {}): Promise<TestDb> {
  const schema = options.schema ?? uniqueName('t');
  const db =
    kind === 'pglite'
      ? await openPglite({ schema, loadDataDir: await (template ??= pgliteTemplate()) })
      : await openPostgres({ url: TEST_DATABASE_URL, schema, poolSize: 4, statementTimeoutMs: 10_000, logger: silentLogger() });
  if (options.migrate ?? true) await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      if (kind === 'postgres') await dropSchema(schema);
    },
  };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    // The task queue keeps its tables in <schema>_queue.
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
    // The read-only role a control plane on this schema made for analytics source "jarvis".
    await client.query(`DROP ROLE IF EXISTS ${`jarvis_ro_${schema}`.slice(0, 63)}`);
  } finally {
    await client.end();
  }
}
