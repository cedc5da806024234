import { Pool, type PoolClient } from 'pg';
import type { Logger } from '../logger';
import { assertSchemaName, type Db, type Queryable } from './db';

function wrap(target: Pool | PoolClient): Queryable {
  return {
    async query<R extends object>(text: string, params?: readonly unknown[]) {
      const result = await target.query<R>(text, params ? [...params] : undefined);
      return result.rows;
    },
    async exec(sql: string) {
      await target.query(sql);
    },
  };
}

export interface PostgresOptions {
  url: string;
  schema: string;
  poolSize: number;
  /** Upper bound for any one statement, so a stuck query cannot hold a connection forever. */
  statementTimeoutMs: number;
  logger: Logger;
}

async function enableVector(pool: Pool, logger: Logger): Promise<boolean> {
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    return true;
  } catch (err) {
    logger.warn('pgvector is not available on this PostgreSQL server; vector search will use an exact-scan fallback', {
      reason: (err as Error).message,
    });
    return false;
  }
}

/**
 * graphile-worker announces a breaking migration on the database-wide channel
 * "worker:migrate" without naming its schema, and every worker that hears it shuts down (and
 * sets the exit code to 57). Installing the queue for one schema would thus stop the queues
 * of every other schema in the database. Our queue's schema is migrated only by this
 * version's start-up (graphile-worker is pinned), so the broadcast is dropped.
 */
const IGNORED_CHANNELS = new Set(['worker:migrate']);

function dropNotifications(client: PoolClient, channels: ReadonlySet<string>): void {
  const emit = client.emit.bind(client);
  client.emit = (event: string | symbol, ...args: unknown[]) =>
    event === 'notification' && channels.has((args[0] as { channel?: string } | undefined)?.channel ?? '') ? false : emit(event, ...args);
}

export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const schema = assertSchemaName(options.schema);
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 5_000,
    options: `-c search_path=${schema},public -c statement_timeout=${options.statementTimeoutMs}`,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => options.logger.warn('idle PostgreSQL client failed', { reason: err.message }));
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (err) {
    // Two instances creating the schema at the same moment: IF NOT EXISTS still races, and the
    // loser gets a unique violation (23505) or "already exists" (42P06). The schema is there.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') {
      await pool.end();
      throw err;
    }
  }
  const vector = await enableVector(pool, options.logger);
  const root = wrap(pool);
  return {
    kind: 'postgres',
    schema,
    vector,
    query: root.query,
    exec: root.exec,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    createPool(max) {
      const queuePool = new Pool({ connectionString: options.url, max, connectionTimeoutMillis: 5_000 });
      queuePool.on('error', (err) => options.logger.warn('idle PostgreSQL client failed', { reason: err.message }));
      queuePool.on('connect', (client) => {
        client.on('error', (err) => options.logger.warn('PostgreSQL client failed', { reason: err.message }));
        dropNotifications(client, IGNORED_CHANNELS);
      });
      return queuePool;
    },
    close: () => pool.end(),
  };
}
