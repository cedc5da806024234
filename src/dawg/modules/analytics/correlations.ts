import { ident } from './analytics-store';
import { finite, type ReadRows } from './describe-stats';

/*
 * Pearson correlations between the numeric columns (booleans as 0/1), all pairs in one pass
 * with DuckDB's corr(), which skips a pair's rows where either value is missing. A column
 * without variance has no correlation: its row and column are null, not 0 (0 would claim
 * "unrelated", which nothing showed).
 */

/** k columns need k(k−1)/2 aggregates in one statement; beyond this the matrix stops being readable anyway. */
export const MAX_CORRELATION_COLUMNS = 50;
export const STRONGEST_PAIRS = 10;

export interface CorrelationPair {
  a: string;
  b: string;
  r: number;
}

export interface Correlations {
  columns: string[];
  /** matrix[i][j] = r of columns[i] and columns[j]; null where undefined (constant column, < 2 pairs). */
  matrix: Array<Array<number | null>>;
  /** The pairs with the largest |r|, strongest first. */
  strongest: CorrelationPair[];
  /** Numeric/boolean columns left out of the matrix (over MAX_CORRELATION_COLUMNS). */
  omitted: string[];
}

export async function correlations(read: ReadRows, table: string, candidates: readonly string[]): Promise<Correlations> {
  const columns = candidates.slice(0, MAX_CORRELATION_COLUMNS);
  const omitted = candidates.slice(MAX_CORRELATION_COLUMNS);
  const matrix = columns.map((_, i) => columns.map((__, j) => (i === j ? 1 : null)) as Array<number | null>);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < columns.length; i += 1) for (let j = i + 1; j < columns.length; j += 1) pairs.push([i, j]);
  const x = (name: string) => `${ident(name)}::DOUBLE`;
  const selfs = columns.map((c, i) => `var_samp(${x(c)}) AS v${i}`);
  const cross = pairs.map(([i, j], k) => `corr(${x(columns[i]!)}, ${x(columns[j]!)}) AS r${k}`);
  if (!columns.length) return { columns, matrix, strongest: [], omitted };
  const [row = {}] = await read(`SELECT ${[...selfs, ...cross].join(', ')} FROM main.${ident(table)}`);
  columns.forEach((_, i) => {
    const variance = finite(row[`v${i}`]);
    if (variance === null || variance === 0) matrix[i]![i] = null;
  });
  const strongest: CorrelationPair[] = [];
  pairs.forEach(([i, j], k) => {
    const raw = matrix[i]![i] === null || matrix[j]![j] === null ? null : finite(row[`r${k}`]);
    // Rounding can put a perfect correlation a hair outside [−1, 1].
    const r = raw === null ? null : Math.max(-1, Math.min(1, raw));
    matrix[i]![j] = r;
    matrix[j]![i] = r;
    if (r !== null) strongest.push({ a: columns[i]!, b: columns[j]!, r });
  });
  strongest.sort((p, q) => Math.abs(q.r) - Math.abs(p.r) || p.a.localeCompare(q.a) || p.b.localeCompare(q.b));
  return { columns, matrix, strongest: strongest.slice(0, STRONGEST_PAIRS), omitted };
}
