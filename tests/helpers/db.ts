import { randomBytes } from 'node:crypto';
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

/** A fresh database for one test file: in-memory PGlite, or an own schema on the server. */
export async function openTestDb(kind: DbKind, options: { migrate?: boolean; schema?: string } = {}): Promise<TestDb> {
  const schema = options.schema ?? uniqueName('t');
  const db =
    kind === 'pglite'
      ? await openPglite({ schema })
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
