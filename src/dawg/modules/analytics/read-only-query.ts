import { JSDuckDBValueConverter, StatementType, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { GatewayTimeoutError } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import { fieldError } from '../../../common/validation';
import { jsonValue, type AnalyticsStore } from './analytics-store';
import { callerSqlError, isInterrupt } from './duckdb-errors';
import { connectionInterrupter } from './duckdb-interrupt';
import { explainPlan, planHints, scannedTables, tableColumns, type HintOptions } from './plan-hints';

/*
 * A caller's own SQL on the store's reader connection. Three walls keep it read-only: DuckDB's
 * parser must find exactly one statement, its prepared type must be SELECT, and it runs in a
 * READ ONLY transaction (so even a SELECT with a side effect, such as nextval(), is refused).
 * The instance's lock-down (files only under filesDir, configuration locked) stays in force.
 */

export interface ReadOnlyQuery {
  sql: string;
  params: readonly (string | number | boolean | null)[];
  maxRows: number;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryRows {
  columns: QueryColumn[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  hints: string[];
}

const SQL_FIELD = 'params.sql';

/**
 * Interrupts the connection when the time is up or the caller goes away (repeatedly: see
 * connectionInterrupter), and `check()` stops the work between statements.
 */
function interruptGuard(c: DuckDBConnection, timeoutMs: number, signal: AbortSignal) {
  let timedOut = false;
  const interrupter = connectionInterrupter(c);
  const stop = () => interrupter.interrupt();
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  signal.addEventListener('abort', stop, { once: true });
  const stopError = (): unknown =>
    signal.aborted
      ? signal.reason
      : new GatewayTimeoutError('QUERY_TIMEOUT', `The query ran longer than ${timeoutMs} ms and was stopped: narrow it (WHERE, LIMIT) or aggregate`, { timeoutMs });
  return {
    /** Throws when the query should stop now (between chunks DuckDB has no statement to interrupt). */
    check(): void {
      if (signal.aborted || timedOut) throw stopError();
    },
    translate(err: unknown): unknown {
      if (signal.aborted || (timedOut && isInterrupt(err))) return stopError();
      return callerSqlError(err, SQL_FIELD) ?? err;
    },
    dispose() {
      clearTimeout(timer);
      interrupter.dispose();
      signal.removeEventListener('abort', stop);
    },
  };
}

/** The one SELECT in `sql`, prepared; anything else is a 400 naming what was found. */
async function prepareSelect(c: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const extracted = await c.extractStatements(sql).catch((err: unknown) => {
    // An input of only separators or comments fails in the binding without a DuckDB category.
    throw callerSqlError(err, SQL_FIELD) ?? fieldError(SQL_FIELD, 'contains no SQL statement');
  });
  if (extracted.count !== 1) {
    throw fieldError(SQL_FIELD, `found ${extracted.count} statements: only one read-only SELECT/WITH statement is run`);
  }
  const prepared = await extracted.prepare(0);
  if (prepared.statementType !== StatementType.SELECT) {
    const kind = StatementType[prepared.statementType] ?? 'Non-SELECT';
    prepared.destroySync();
    throw fieldError(SQL_FIELD, `${kind} statements are refused: only one read-only SELECT/WITH statement`);
  }
  return prepared;
}

/** A value JSON can carry: BLOBs as base64, the rest through the store's jsonValue. */
function cell(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : jsonValue(value);
}

/** Streams the result and stops after maxRows + 1 rows, so memory stays bounded whatever matched. */
async function readBounded(prepared: DuckDBPreparedStatement, maxRows: number, check: () => void) {
  const result = await prepared.stream();
  const names = result.deduplicatedColumnNames();
  const columns = result.columnTypes().map((t, i) => ({ name: names[i]!, type: t.toString() }));
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    check();
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return { columns, rows, truncated: false };
    const room = maxRows - rows.length;
    const values = chunk.convertRows(JSDuckDBValueConverter);
    for (const row of values.slice(0, room)) rows.push(Object.fromEntries(names.map((n, i) => [n, cell(row[i])])));
    if (values.length > room) return { columns, rows, truncated: true };
  }
}

async function hintsFor(c: DuckDBConnection, q: ReadOnlyQuery, values: DuckDBValue[], truncated: boolean, options: HintOptions | undefined): Promise<string[]> {
  const plan = await explainPlan(c, q.sql, values);
  const tables = await tableColumns(c, scannedTables(plan));
  return planHints({ plan, sql: q.sql, maxRows: q.maxRows, truncated, tables }, options);
}

/** Runs one read-only statement under the time limit; see the file comment for what is refused. */
export function runReadOnlyQuery(store: AnalyticsStore, q: ReadOnlyQuery, options: { hints?: HintOptions; logger?: Logger } = {}): Promise<QueryRows> {
  return store.withReader(async (c) => {
    if (q.signal.aborted) throw q.signal.reason;
    const guard = interruptGuard(c, q.timeoutMs, q.signal);
    try {
      await c.run('BEGIN TRANSACTION READ ONLY');
      guard.check();
      const prepared = await prepareSelect(c, q.sql);
      if (prepared.parameterCount !== q.params.length) {
        throw fieldError('params.params', `the statement has ${prepared.parameterCount} parameter(s) ($1, $2, …) but ${q.params.length} value(s) were given`);
      }
      const values = q.params as DuckDBValue[];
      if (values.length) prepared.bind([...values]);
      guard.check();
      const { columns, rows, truncated } = await readBounded(prepared, q.maxRows, guard.check);
      const hints = await hintsFor(c, q, values, truncated, options.hints).catch((err: unknown) => {
        if (q.signal.aborted) throw err;
        // Hints are advice: the rows are still the answer when EXPLAIN fails or runs out of time.
        options.logger?.debug('analytics query hints unavailable', { error: (err as Error).message });
        return [] as string[];
      });
      return { columns, rows, rowCount: rows.length, truncated, hints };
    } catch (err) {
      throw guard.translate(err);
    } finally {
      guard.dispose();
      await c.run('ROLLBACK').catch(() => undefined);
    }
  });
}
