import { types } from 'node:util';
import { fieldError } from '../../common/validation';

/*
 * What both backends of source "jarvis" do the same way (JarvisReadOnlySource on server
 * PostgreSQL, JarvisSnapshotSource and its worker on PGlite): the statement as run, and the
 * answer as given. No database client here, so the snapshot worker can load it too.
 */

/** The caller's SQL without trailing semicolons and space; 400 naming params.sql when nothing is left. */
export function callerSql(sql: string): string {
  const trimmed = sql.replace(/[\s;]+$/u, '');
  if (!trimmed) throw fieldError('params.sql', 'is empty');
  return trimmed;
}

/**
 * The statement as run: the caller's SQL wrapped as one subquery (no utility statement) with
 * the row cap as its last parameter, so it is always sent over the extended protocol (one
 * statement only). Its values are the caller's params followed by maxRows + 1 (one more than
 * returned, to tell whether rows were cut). The newline keeps a trailing -- comment from
 * swallowing the closing parenthesis.
 */
export function wrappedQuery(sql: string, params: readonly unknown[], maxRows: number): { text: string; values: unknown[] } {
  return { text: `SELECT * FROM (${sql}\n) AS jarvis_query LIMIT $${params.length + 1}`, values: [...params, maxRows + 1] };
}

/**
 * A value as JSON can carry it: timestamps as ISO text, int8 as text, bytea as base64. By
 * util.types, not instanceof: values from the snapshot worker are made by the structured clone
 * in Node's own realm, which is not the caller's under jest's vm.
 */
export function jsonSafe(value: unknown): unknown {
  if (types.isDate(value)) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (types.isUint8Array(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}

/**
 * Column types by name (`format_type`), looked up in pg_type once per type oid and kept: the
 * same names on both backends. `query` runs the lookup on the database the result came from.
 */
export class TypeNames {
  private readonly names = new Map<number, string>();

  async columns(
    fields: ReadonlyArray<{ name: string; dataTypeID: number }>,
    query: (text: string, values: unknown[]) => Promise<{ rows: Array<{ oid: number; name: string }> }>,
  ): Promise<Array<{ name: string; type: string }>> {
    const missing = [...new Set(fields.map((f) => f.dataTypeID).filter((oid) => !this.names.has(oid)))];
    if (missing.length) {
      const found = await query('SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])', [missing]);
      for (const r of found.rows) this.names.set(r.oid, r.name);
    }
    return fields.map((f) => ({ name: f.name, type: this.names.get(f.dataTypeID) ?? `oid ${f.dataTypeID}` }));
  }
}

export interface JarvisAnswer {
  source: 'jarvis';
  columns: Array<{ name: string; type: string }>;
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  durationMs: number;
  hints: string[];
}

/** The answer from the wrapped statement's rows (arrays, at most maxRows + 1 of them). */
export function jarvisAnswer(columns: JarvisAnswer['columns'], raw: readonly unknown[][], maxRows: number, hints: string[], startedAt: number): JarvisAnswer {
  const truncated = raw.length > maxRows;
  const rows = raw.slice(0, maxRows).map((r) => Object.fromEntries(columns.map((c, i) => [c.name, jsonSafe(r[i])])));
  if (truncated) hints.push(`More than ${maxRows} rows matched: aggregate (GROUP BY) or add a LIMIT to get what you need`);
  return { source: 'jarvis', columns, rows, rowCount: rows.length, truncated, durationMs: Math.round((performance.now() - startedAt) * 1000) / 1000, hints };
}
