import { AppError } from '../../../common/errors';
import { defineAction } from '../../sdk';
import { analyticsQueryParams } from './analytics-schemas';
import type { AnalyticsStore } from './analytics-store';
import type { HintOptions } from './plan-hints';
import { runReadOnlyQuery, type QueryColumn } from './read-only-query';

export type { QueryColumn } from './read-only-query';

/** What `analytics.query` answers, whichever source ran the statement. */
export interface QueryAnswer {
  source: 'analytics' | 'jarvis';
  columns: QueryColumn[];
  /** JSON-safe values (BIGINT as number where exact, else string; dates as ISO strings). */
  rows: Record<string, unknown>[];
  rowCount: number;
  /** More rows matched than maxRows; only the first maxRows are in `rows`. */
  truncated: boolean;
  durationMs: number;
  /** Short advice derived from the query plan (empty when none applies). */
  hints: string[];
}

/** A read-only query against the control plane's PostgreSQL data, with the same limits. */
export type JarvisSource = (q: {
  sql: string;
  params: readonly (string | number | boolean | null)[];
  maxRows: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Who the query runs for (the control plane allows only admin keys) and the request it belongs to. */
  actor?: string;
  requestId: string;
}) => Promise<QueryAnswer>;

export interface QueryDeps {
  store: AnalyticsStore;
  /** Longest a statement may run before it is interrupted (default 10 s). */
  timeoutMs?: number;
  /** Answers source 'jarvis'; without it that source is a 501. */
  jarvisSource?: JarvisSource;
  hints?: HintOptions;
}

export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/**
 * `query`: one read-only statement against the DAWG's DuckDB store (every loaded dataset is a
 * table) or the control plane's own data, bounded in rows and time, with plan hints.
 */
export function createQueryAction(deps: QueryDeps) {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return defineAction({
    description:
      'Run one read-only SQL statement (SELECT/WITH, $1… parameters) against the analytics store (DuckDB: every loaded dataset is a table) or the control plane’s data; answers columns, rows (at most maxRows, truncated says when more matched) and query-plan hints',
    params: analyticsQueryParams,
    async handler(p, ctx): Promise<QueryAnswer> {
      const started = performance.now();
      const request = { sql: p.sql, params: p.params ?? [], maxRows: p.maxRows, timeoutMs, signal: ctx.signal };
      if (p.source === 'jarvis') {
        if (!deps.jarvisSource) {
          throw new AppError(501, 'SOURCE_UNAVAILABLE', 'Source "jarvis" (the control plane’s data) is not available to this DAWG: no connection to it is configured', { field: 'params.source' });
        }
        return deps.jarvisSource({ ...request, requestId: ctx.requestId, ...(ctx.actor ? { actor: ctx.actor } : {}) });
      }
      const result = await runReadOnlyQuery(deps.store, request, { hints: deps.hints, logger: ctx.logger });
      return { source: 'analytics', ...result, durationMs: Math.round((performance.now() - started) * 1000) / 1000 };
    },
  });
}
