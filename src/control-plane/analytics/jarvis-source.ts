import { createHmac } from 'node:crypto';
import { Pool, type PoolClient } from 'pg';
import { AppError, GatewayTimeoutError } from '../../common/errors';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { fieldError } from '../../common/validation';
import { callerSql, jarvisAnswer, TypeNames, wrappedQuery, type JarvisAnswer } from './jarvis-query';

export type { JarvisAnswer };

/**
 * Source "jarvis" of analytics.query: read-only SQL over the control plane's own tables.
 *
 * The statement runs on a separate connection that logs in as a role made for it
 * (jarvis_ro_<schema>): SELECT on the tables below and nothing else. Because that role is the
 * *session* user, nothing in the statement can become anyone else (SET ROLE and
 * set_config('role', …) check the session user), so grants are the whole boundary: API keys,
 * the audit log, approvals and memories are out of reach. On top: a READ ONLY transaction,
 * statement_timeout, the statement wrapped as a subquery (one query, no utility statement) and
 * sent over the extended protocol (one statement only), and a row cap.
 *
 * Server PostgreSQL. PGlite runs in this process and cannot interrupt a running statement
 * (statement_timeout never fires there), so on the embedded database the statement runs on a
 * copy of the tables in a worker thread instead (JarvisSnapshotSource).
 */

export const JARVIS_SOURCE_TABLES = ['workflows', 'tasks', 'task_events', 'task_schedules', 'ai_ledger', 'ai_spend'] as const;

export interface JarvisQuery {
  sql: string;
  params: readonly (string | number | boolean | null)[];
  maxRows: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** What the internal route asks: JarvisReadOnlySource (server PostgreSQL) or JarvisSnapshotSource (PGlite). */
export interface JarvisQuerySource {
  query(q: JarvisQuery): Promise<JarvisAnswer>;
  close(): Promise<void>;
}

export type JarvisSourceState = { available: true; source: JarvisQuerySource } | { available: false; reason: string };

/** PostgreSQL errors caused by the caller's SQL, by SQLSTATE class: 400 naming params.sql. */
export function callerError(err: unknown): AppError | undefined {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  if (code === '57014') return new GatewayTimeoutError('QUERY_TIMEOUT', 'The query ran past its time limit and was cancelled');
  if (code === '42501') {
    return new AppError(403, 'SOURCE_PERMISSION_DENIED', `${message}: source jarvis may read only the tables ${JARVIS_SOURCE_TABLES.join(', ')}`, { field: 'params.sql' });
  }
  if (code === '25006') return fieldError('params.sql', 'only one read-only SELECT/WITH statement is allowed');
  // undefined_table: on the embedded database the other tables are not in the copy at all.
  if (code === '42P01') return fieldError('params.sql', `${message}: source jarvis has only the tables ${JARVIS_SOURCE_TABLES.join(', ')}`);
  // undefined_file: a file function on the embedded copy, which has no files of this machine.
  if (code === '58P01') return fieldError('params.sql', message);
  if (/^(42|22|21|0A|2F|3F)/.test(code)) return fieldError('params.sql', message);
  return undefined;
}

export class JarvisReadOnlySource implements JarvisQuerySource {
  private readonly typeNames = new TypeNames();

  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /**
   * Creates (or updates) the reader role and its grants, and opens its pool. The role's
   * password is derived from `secret` (the service token), so every instance sharing the
   * database derives the same one. Unavailable, with the reason, when the database is PGlite
   * or the connecting user may not create roles.
   */
  static async open(options: { db: Db; url: string | undefined; secret: string; logger: Logger }): Promise<JarvisSourceState> {
    const { db } = options;
    if (db.kind !== 'postgres' || !options.url) {
      return { available: false, reason: 'Source "jarvis" needs server PostgreSQL (DATABASE_URL): the embedded PGlite cannot interrupt a running statement, so an open-ended query could stall the control plane. Load data as datasets and query source "analytics".' };
    }
    const role = `jarvis_ro_${db.schema}`.slice(0, 63);
    const password = createHmac('sha256', options.secret).update(`jarvis-analytics-reader:${role}`).digest('hex');
    try {
      await db.exec(`DO $$ BEGIN
          CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION CONNECTION LIMIT 4;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
      await db.exec(`ALTER ROLE ${role} WITH LOGIN PASSWORD '${password}'`);
      await db.exec(`GRANT USAGE ON SCHEMA ${db.schema} TO ${role}`);
      await db.exec(`GRANT SELECT ON ${JARVIS_SOURCE_TABLES.map((t) => `${db.schema}.${t}`).join(', ')} TO ${role}`);
    } catch (err) {
      options.logger.warn('analytics source "jarvis" is unavailable: its reader role could not be set up', { reason: (err as Error).message });
      return { available: false, reason: `Source "jarvis" is unavailable: the control plane could not set up its read-only role (${(err as Error).message}); the database user needs CREATEROLE` };
    }
    // In the URL itself: pg lets a connection string's user and password win over separate options.
    const url = new URL(options.url);
    url.username = role;
    url.password = password;
    const pool = new Pool({
      connectionString: url.toString(),
      max: 2,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${db.schema} -c default_transaction_read_only=on`,
    });
    pool.on('error', (err) => options.logger.warn('idle analytics reader connection failed', { reason: err.message }));
    return { available: true, source: new JarvisReadOnlySource(pool, db.schema) };
  }

  async query(q: JarvisQuery): Promise<JarvisAnswer> {
    const started = performance.now();
    const sql = callerSql(q.sql);
    const client = await this.pool.connect();
    const cancel = () => void this.cancel(client);
    q.signal?.addEventListener('abort', cancel, { once: true });
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(q.timeoutMs))}`);
      const { text, values } = wrappedQuery(sql, q.params, q.maxRows);
      // A cancel that reached the backend between statements was ignored: stop before the query.
      q.signal?.throwIfAborted();
      const result = await client.query({ text, values, rowMode: 'array' });
      const hints: string[] = await this.hints(client, text, values).catch(() => []);
      await client.query('COMMIT');
      return jarvisAnswer(await this.typeNames.columns(result.fields, (text, values) => this.pool.query(text, values)), result.rows as unknown[][], q.maxRows, hints, started);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (q.signal?.aborted) throw q.signal.reason;
      throw callerError(err) ?? err;
    } finally {
      q.signal?.removeEventListener('abort', cancel);
      client.release();
    }
  }

  /** Cancels the statement running on `client` (the reader may cancel its own backends). */
  private async cancel(client: PoolClient): Promise<void> {
    const pid = (client as unknown as { processID?: number }).processID;
    if (!pid) return;
    await this.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }

  /** Sequential scans the planner expects to read many rows: where an index or a narrower filter would help. */
  private async hints(client: PoolClient, text: string, values: unknown[]): Promise<string[]> {
    const result = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
    const hints: string[] = [];
    const walk = (node: PlanNode) => {
      if (node['Node Type'] === 'Seq Scan' && (node['Plan Rows'] ?? 0) >= 100_000) {
        hints.push(`Full scan of ${node['Relation Name']} (about ${node['Plan Rows']!.toLocaleString('en-US')} rows${node.Filter ? `, filter ${node.Filter}` : ''}): filter on an indexed column (ids, status, created_at) to read less`);
      }
      if (node['Node Type'] === 'Nested Loop' && !node['Join Filter'] && (node['Plan Rows'] ?? 0) >= 1_000_000) {
        hints.push('A join without a condition multiplies rows: add a join condition');
      }
      for (const child of node.Plans ?? []) walk(child);
    };
    const plan = result.rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (plan) walk(plan);
    return hints;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  get schemaName(): string {
    return this.schema;
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Plan Rows'?: number;
  Filter?: string;
  'Join Filter'?: string;
  Plans?: PlanNode[];
}
