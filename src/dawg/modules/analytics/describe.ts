import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { fieldError } from '../../../common/validation';
import { defineAction } from '../../sdk';
import { describeParams } from './analytics-schemas';
import { jsonValue, type AnalyticsStore } from './analytics-store';
import { correlations, type Correlations } from './correlations';
import { datasetColumns, requireDataset, type DatasetColumn } from './dataset-catalog';
import { columnKind, histograms, numericStats, presence, summarySql, topValues, type HistogramBin, type NumericStats, type ReadRows, type Row } from './describe-stats';
import { connectionInterrupter } from './duckdb-interrupt';

/*
 * `describe`: exploratory statistics of one dataset. It reads on the store's reader
 * connection inside one READ ONLY transaction, so every figure comes from the same snapshot
 * and a long describe never holds up the modules' writes.
 */

export const MAX_DESCRIBED_COLUMNS = 200;

interface ProfileBase {
  name: string;
  type: string;
  /** Missing values (NULL): count and share of all rows. */
  missing: { count: number; share: number };
  distinct: number;
}

export type ColumnProfile =
  | (ProfileBase & { kind: 'numeric' } & NumericStats & { histogram: HistogramBin[] | null })
  | (ProfileBase & { kind: 'boolean'; trueCount: number; /** Share of the non-missing values that are true. */ trueShare: number | null })
  | (ProfileBase & { kind: 'temporal'; min: string | null; max: string | null })
  | (ProfileBase & { kind: 'text'; top: Array<{ value: string; count: number }> })
  | (ProfileBase & { kind: 'other' });

export interface DescribeAnswer {
  dataset: string;
  rowCount: number;
  columns: ColumnProfile[];
  /** Columns not described because the dataset has more than 200 and none were named. */
  omittedColumns: string[];
  correlations: Correlations;
}

/** The columns asked for (all by default, capped), or a 400 naming one the dataset lacks. */
function selectColumns(all: DatasetColumn[], wanted: readonly string[] | undefined, dataset: string) {
  if (!wanted) return { chosen: all.slice(0, MAX_DESCRIBED_COLUMNS), omitted: all.slice(MAX_DESCRIBED_COLUMNS).map((c) => c.name) };
  const byName = new Map(all.map((c) => [c.name, c]));
  const unknown = wanted.filter((w) => !byName.has(w));
  if (unknown.length) {
    const names = all.map((c) => c.name);
    const listed = names.length > 50 ? `${names.slice(0, 50).join(', ')}, …` : names.join(', ');
    throw fieldError('params.columns', `${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${dataset} (columns: ${listed})`, { unknown });
  }
  return { chosen: [...new Set(wanted)].map((w) => byName.get(w)!), omitted: [] };
}

interface Extras {
  counts: Map<number, { count: number; distinct: number }>;
  hist: Map<number, HistogramBin[]>;
  top: Map<number, Array<{ value: string; count: number }>>;
}

function profile(column: DatasetColumn, i: number, summary: Row, rowCount: number, extras: Extras): ColumnProfile {
  const { count: present, distinct } = extras.counts.get(i) ?? { count: 0, distinct: 0 };
  const missing = rowCount - present;
  const base: ProfileBase = { name: column.name, type: column.type, missing: { count: missing, share: rowCount ? missing / rowCount : 0 }, distinct };
  const kind = columnKind(column.type);
  switch (kind) {
    case 'numeric':
      return { ...base, kind, ...numericStats(summary, i), histogram: extras.hist.get(i) ?? null };
    case 'boolean': {
      const trueCount = Number(summary[`c${i}_true`] ?? 0);
      return { ...base, kind, trueCount, trueShare: present ? trueCount / present : null };
    }
    case 'temporal':
      return { ...base, kind, min: (summary[`c${i}_min`] as string | null) ?? null, max: (summary[`c${i}_max`] as string | null) ?? null };
    case 'text':
      return { ...base, kind, top: extras.top.get(i) ?? [] };
    default:
      return { ...base, kind: 'other' };
  }
}

async function describeOn(read: ReadRows, dataset: string, chosen: DatasetColumn[]) {
  const [summary = {}] = await read(summarySql(dataset, chosen));
  const rowCount = Number(summary.row_count ?? 0);
  const indexed = chosen.map((c, index) => ({ ...c, index, kind: columnKind(c.type) }));
  const numeric = indexed.filter((c) => c.kind === 'numeric').map((c) => ({ ...c, ...numericStats(summary, c.index) }));
  const extras: Extras = {
    counts: await presence(read, dataset, chosen),
    hist: await histograms(read, dataset, numeric),
    top: await topValues(read, dataset, indexed.filter((c) => c.kind === 'text')),
  };
  const columns = chosen.map((c, i) => profile(c, i, summary, rowCount, extras));
  const correlated = indexed.filter((c) => c.kind === 'numeric' || c.kind === 'boolean').map((c) => c.name);
  return { rowCount, columns, correlations: await correlations(read, dataset, correlated) };
}

/** Runs `fn` in a READ ONLY transaction on the reader, interrupted when the caller goes away. */
function onReader<T>(store: AnalyticsStore, signal: AbortSignal, fn: (read: ReadRows) => Promise<T>): Promise<T> {
  return store.withReader(async (c: DuckDBConnection) => {
    if (signal.aborted) throw signal.reason;
    const interrupter = connectionInterrupter(c);
    const stop = () => interrupter.interrupt();
    signal.addEventListener('abort', stop, { once: true });
    const read: ReadRows = async (sql, params = []) => {
      // An interrupt that lands between two statements is cleared when the next begins.
      if (signal.aborted) throw signal.reason;
      return (await c.runAndReadAll(sql, params.length ? ([...params] as DuckDBValue[]) : undefined)).getRowObjectsJS().map((r) => jsonValue(r) as Row);
    };
    try {
      await c.run('BEGIN TRANSACTION READ ONLY');
      return await fn(read);
    } catch (err) {
      throw signal.aborted ? signal.reason : err;
    } finally {
      signal.removeEventListener('abort', stop);
      interrupter.dispose();
      await c.run('ROLLBACK').catch(() => undefined);
    }
  });
}

export function createDescribeAction(store: AnalyticsStore) {
  return defineAction({
    description:
      'Exploratory analysis of a dataset computed by DuckDB: row count; per column type, missing count/share and distinct count; numeric min/max/mean/std/quartiles and a 10-bin histogram; boolean true share; top 10 text values; date/time range; Pearson correlations between numeric (and boolean) columns with the strongest pairs',
    params: describeParams,
    async handler(p, ctx): Promise<DescribeAnswer> {
      await requireDataset(store, p.dataset, 'params.dataset');
      const { chosen, omitted } = selectColumns(await datasetColumns(store, p.dataset), p.columns, p.dataset);
      const result = await onReader(store, ctx.signal, (read) => describeOn(read, p.dataset, chosen));
      return { dataset: p.dataset, rowCount: result.rowCount, columns: result.columns, omittedColumns: omitted, correlations: result.correlations };
    },
  });
}
