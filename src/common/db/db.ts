import type { Pool } from 'pg';

/** What a query runs on: the database itself or an open transaction. */
export interface Queryable {
  /** One parameterised statement; returns its rows. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DbKind = 'pglite' | 'postgres';

/**
 * The database port. Embedded PGlite and server PostgreSQL implement it with the same SQL,
 * so every service and every test runs unchanged against either.
 */
export interface Db extends Queryable {
  readonly kind: DbKind;
  readonly schema: string;
  /** Whether the pgvector extension is usable here (always on PGlite, optional on a server). */
  readonly vector: boolean;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A `pg.Pool` for a library that needs one (the task queue): its own connections on a
   * server, a look-alike over the same single session on PGlite. The caller ends it.
   */
  createPool(max: number): Pool;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid schema name "${schema}": use lowercase letters, digits and _`);
  return schema;
}
