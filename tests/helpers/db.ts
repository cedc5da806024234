import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Client } from 'pg';
import { dropTemplateDatabases, migrate, openPglite, openPostgres, pgliteDb, type Db, type DbKind } from '../../src/common/db';
import { loadMigrations } from '../../src/common/db/migrate';
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
 * postgresql.conf for test PGlites. PGlite's defaults (shared_buffers 128MB, max_connections
 * 100) size a shared memory that the WASM build zeroes at every start, about half of a start
 * from the template (~1 s on a quiet machine). Test databases hold a few thousand rows, and
 * PGlite has one in-process session.
 */
export const TEST_PGLITE_SETTINGS = ['shared_buffers = 16MB', 'max_connections = 10'] as const;

/**
 * A freshly initialised PGlite data directory (with the vector extension), dumped once and
 * kept in the temp dir: starting from it skips initdb, which is most of a PGlite's ~3 s
 * start-up. A database from it starts empty (no schema, no migration applied). The template
 * databases are dropped (nothing here runs CREATE DATABASE): 25 MB to load instead of 40,
 * most of what is left being the one WAL segment.
 */
let template: Promise<Blob> | undefined;
function pgliteTemplate(): Promise<Blob> {
  return (template ??= cachedTarball('empty', [], async () => {
    const pg = await PGlite.create('memory://', { extensions: { vector } });
    await pg.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await dropTemplateDatabases(pg);
    await pg.exec('CHECKPOINT');
    return pg;
  }));
}

/**
 * Schema of the migrated PGlite template's tables. One name serves every test: each PGlite is
 * a database of its own.
 */
const MIGRATED_SCHEMA = 'jarvis_test';

/**
 * The empty template with every migration applied in MIGRATED_SCHEMA, the task queue's
 * (graphile-worker's) included: migrating a test PGlite took 0.2–0.6 s, most test files open
 * several. Keyed by the migrations' contents and graphile-worker's version, so a changed or
 * new migration makes a new template; tests still run migrate(), which checks the recorded
 * checksums against the files.
 */
let migratedTemplate: Promise<Blob> | undefined;
async function pgliteMigratedTemplate(): Promise<Blob> {
  const migrations = await loadMigrations();
  const graphile = await packageVersion('graphile-worker');
  return (migratedTemplate ??= cachedTarball('migrated', [graphile, ...migrations.map((m) => `${m.file}:${m.checksum}`)], async () => {
    const pg = await PGlite.create('memory://', { extensions: { vector }, loadDataDir: await pgliteTemplate(), postgresqlconf: [...TEST_PGLITE_SETTINGS] });
    const db = await pgliteDb(pg, MIGRATED_SCHEMA);
    await migrate(db);
    // Loaded only here: most test files find the template made.
    const { TaskQueue } = await import('../../src/control-plane/agents/task-queue');
    const { queueSchemaFor } = await import('../../src/control-plane/agents/agent-system');
    await TaskQueue.migrate(db, queueSchemaFor(db), silentLogger());
    await pg.exec('CHECKPOINT');
    return pg;
  }));
}

/**
 * A PGlite data directory made by `make`, dumped to a tar in the temp dir named by a digest of
 * the PGlite and pgvector versions and `key`, and read from there by every later test file.
 */
async function cachedTarball(kind: string, key: readonly string[], make: () => Promise<PGlite>): Promise<Blob> {
  // The vector extension's version too: its SQL objects are in the template.
  const versions = await Promise.all(['@electric-sql/pglite', '@electric-sql/pglite-pgvector'].map((name) => packageVersion(name)));
  const digest = createHash('sha256').update(JSON.stringify([3, ...versions, ...key])).digest('hex').slice(0, 16);
  const prefix = `jarvis-test-pglite-${kind}-`;
  const suffix = `-${process.getuid?.() ?? 0}.tar`;
  const file = path.join(os.tmpdir(), `${prefix}${digest}${suffix}`);
  try {
    return tarball(await readFile(file));
  } catch {
    const pg = await make();
    const dump = Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer());
    await pg.close();
    // Written aside and renamed: a parallel worker reads the whole file or none of it.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, dump);
    await rename(partial, file);
    // Templates of earlier migrations or PGlite versions (27 MB each) go; a test file reading
    // one has it open or makes it again.
    for (const name of await readdir(os.tmpdir())) {
      if (name.startsWith(prefix) && name.endsWith(suffix) && name !== path.basename(file)) await rm(path.join(os.tmpdir(), name), { force: true });
    }
    return tarball(dump);
  }
}

/** An installed package's version (read from its package.json: not every package exports it). */
async function packageVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(path.resolve(__dirname, '../../node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The template as PGlite's loadDataDir reads it: PGlite only calls arrayBuffer() (and looks at
 * type for gzip). A Node Blob answers that by streaming its 25 MB in small chunks and
 * concatenating them, ~150 ms per database; this hands over the bytes read from the file.
 * PGlite copies each file out of it into its own file system and never writes to it.
 */
function tarball(bytes: Buffer): Blob {
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { type: 'application/x-tar', size: bytes.byteLength, arrayBuffer: async () => buffer } as unknown as Blob;
}

/**
 * A fresh database for one test: in-memory PGlite, or an own schema on the server, migrated
 * unless `migrate: false`. A PGlite is a database of its own: its schema is `schema` if given,
 * else the migrated template's (or a unique name, unmigrated).
 */
export async function openTestDb(kind: DbKind, options: { migrate?: boolean; schema?: string } = {}): Promise<TestDb> {
  const migrated = options.migrate ?? true;
  let db: Db;
  if (kind === 'pglite') {
    const fromMigrated = migrated && options.schema === undefined;
    db = await openPglite({
      schema: options.schema ?? (fromMigrated ? MIGRATED_SCHEMA : uniqueName('t')),
      loadDataDir: await (fromMigrated ? pgliteMigratedTemplate() : pgliteTemplate()),
      settings: TEST_PGLITE_SETTINGS,
    });
  } else {
    db = await openPostgres({ url: TEST_DATABASE_URL, schema: options.schema ?? uniqueName('t'), poolSize: 4, statementTimeoutMs: 10_000, logger: silentLogger() });
  }
  if (migrated) await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      if (kind === 'postgres') await dropSchema(db.schema);
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
