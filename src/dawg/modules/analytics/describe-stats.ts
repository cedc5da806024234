import { ident } from './analytics-store';
import type { DatasetColumn } from './dataset-catalog';

/*
 * The SQL behind `describe`: every figure is computed by DuckDB over the whole table (no
 * sampling). One aggregate pass yields the moments, quantiles and ranges of all columns;
 * counts, histograms and top values are one more statement each (a UNION ALL over the
 * columns; histograms need the bounds of the first pass).
 */

export type ColumnKind = 'numeric' | 'boolean' | 'temporal' | 'text' | 'other';
export type Row = Record<string, unknown>;
/** Runs one trusted statement and answers its rows, JSON-safe. */
export type ReadRows = (sql: string, params?: readonly (number | string)[]) => Promise<Row[]>;

export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export interface NumericStats {
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation (n − 1); null with fewer than two values. */
  std: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
}

export const HISTOGRAM_BINS = 10;
export const TOP_VALUES = 10;

/** The kind of a DuckDB type as duckdb_columns() spells it; lists (`BIGINT[]`), structs and maps are 'other'. */
export function columnKind(type: string): ColumnKind {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$/.test(type)) return 'numeric';
  if (type === 'BOOLEAN') return 'boolean';
  if (/^(DATE|TIME|TIME WITH TIME ZONE|TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS)$/.test(type)) return 'temporal';
  if (type === 'VARCHAR' || /^ENUM\(.*\)$/s.test(type)) return 'text';
  return 'other';
}

/** A finite number or null: NaN and ±Infinity (from a FLOAT column, or corr() of a constant) are not JSON. */
export function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const asDouble = (name: string) => `${ident(name)}::DOUBLE`;

function aggregatesFor(column: DatasetColumn, i: number, kind: ColumnKind): string[] {
  const c = ident(column.name);
  if (kind === 'numeric') {
    const x = asDouble(column.name);
    return [`min(${x}) AS c${i}_min`, `max(${x}) AS c${i}_max`, `avg(${x}) AS c${i}_mean`, `stddev_samp(${x}) AS c${i}_std`, `quantile_cont(${x}, [0.25, 0.5, 0.75]) AS c${i}_q`];
  }
  if (kind === 'boolean') return [`count_if(${c}) AS c${i}_true`];
  if (kind === 'temporal') return [`min(${c})::VARCHAR AS c${i}_min`, `max(${c})::VARCHAR AS c${i}_max`];
  return [];
}

/** One row: row_count plus c<i>_<figure> for the numeric, boolean and date/time columns. */
export function summarySql(table: string, columns: readonly DatasetColumn[]): string {
  const parts = columns.flatMap((c, i) => aggregatesFor(c, i, columnKind(c.type)));
  return `SELECT count(*) AS row_count${parts.length ? `, ${parts.join(', ')}` : ''} FROM main.${ident(table)}`;
}

/**
 * Non-missing and distinct counts per column. One SELECT per column joined by UNION ALL:
 * DuckDB plans many count(DISTINCT) in a single SELECT quadratically (200 of them took
 * seconds on 20 rows), while each of these reads just its own column.
 */
export async function presence(read: ReadRows, table: string, columns: readonly DatasetColumn[]): Promise<Map<number, { count: number; distinct: number }>> {
  const out = new Map<number, { count: number; distinct: number }>();
  if (!columns.length) return out;
  const parts = columns.map((column, i) => {
    const c = ident(column.name);
    // The text form counts distinct values of every type, nested and binary ones included.
    const distinct = columnKind(column.type) === 'other' ? `${c}::VARCHAR` : c;
    return `SELECT ${i} AS c, count(${c}) AS n, count(DISTINCT ${distinct}) AS d FROM main.${ident(table)}`;
  });
  for (const row of await read(parts.join(' UNION ALL '))) out.set(Number(row.c), { count: Number(row.n), distinct: Number(row.d) });
  return out;
}

export function numericStats(row: Row, i: number): NumericStats {
  const q = Array.isArray(row[`c${i}_q`]) ? (row[`c${i}_q`] as unknown[]) : [];
  return { min: finite(row[`c${i}_min`]), max: finite(row[`c${i}_max`]), mean: finite(row[`c${i}_mean`]), std: finite(row[`c${i}_std`]), p25: finite(q[0]), p50: finite(q[1]), p75: finite(q[2]) };
}

/**
 * Ten equal-width bins from min to max for each numeric column (the last bin includes max);
 * a constant column gets one bin holding every value. Columns without finite bounds get none.
 */
export async function histograms(read: ReadRows, table: string, columns: ReadonlyArray<{ index: number; name: string; min: number | null; max: number | null }>): Promise<Map<number, HistogramBin[]>> {
  const out = new Map<number, HistogramBin[]>();
  const parts: string[] = [];
  const params: number[] = [];
  for (const c of columns) {
    if (c.min === null || c.max === null) continue;
    const width = (c.max - c.min) / HISTOGRAM_BINS;
    const x = asDouble(c.name);
    const bin = width > 0 ? `least(${HISTOGRAM_BINS - 1}, floor((${x} - $${params.length + 1}) / $${params.length + 2}))::INTEGER` : '0';
    if (width > 0) params.push(c.min, width);
    parts.push(`SELECT ${c.index} AS c, ${bin} AS bin, count(*) AS n FROM main.${ident(table)} WHERE isfinite(${x}) GROUP BY ALL`);
    out.set(c.index, width > 0 ? Array.from({ length: HISTOGRAM_BINS }, (_, k) => ({ from: c.min! + k * width, to: k === HISTOGRAM_BINS - 1 ? c.max! : c.min! + (k + 1) * width, count: 0 })) : [{ from: c.min, to: c.max, count: 0 }]);
  }
  if (!parts.length) return out;
  for (const row of await read(parts.join(' UNION ALL '), params)) {
    const bin = out.get(Number(row.c))?.[Number(row.bin)];
    if (bin) bin.count = Number(row.n);
  }
  return out;
}

/** The ten most frequent values of each text column, most frequent first (ties by value). */
export async function topValues(read: ReadRows, table: string, columns: ReadonlyArray<{ index: number; name: string }>): Promise<Map<number, Array<{ value: string; count: number }>>> {
  const out = new Map<number, Array<{ value: string; count: number }>>(columns.map((c) => [c.index, []]));
  if (!columns.length) return out;
  const parts = columns.map((c) => {
    const col = ident(c.name);
    return `(SELECT ${c.index} AS c, ${col}::VARCHAR AS value, count(*) AS n FROM main.${ident(table)} WHERE ${col} IS NOT NULL GROUP BY ALL ORDER BY n DESC, value LIMIT ${TOP_VALUES})`;
  });
  for (const row of await read(parts.join(' UNION ALL '))) out.get(Number(row.c))?.push({ value: String(row.value), count: Number(row.n) });
  for (const list of out.values()) list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return out;
}
