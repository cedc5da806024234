import { NotFoundError } from '../../../../common/errors';
import { fieldError } from '../../../../common/validation';
import { ident, type AnalyticsStore, type ColumnType, type Row } from '../analytics-store';

/*
 * Where a model's rows come from: a dataset table in schema main, or inline rows. Columns are
 * checked before anything is read, so a typo answers 400 naming the parameter that held it.
 */

/** More rows than this are refused: models here fit in memory, and a sample fits as well. */
export const MAX_DATASET_ROWS = 100_000;

/** A column a kind needs and the parameter that named it (e.g. `params.features.2`). */
export interface NeededColumn {
  field: string;
  column: string;
}

export interface SourceRows {
  rows: Row[];
  /** Dataset name, or 'inline'. */
  source: string;
  /** The parameter holding the source, for errors about the rows as a whole. */
  sourceField: 'params.dataset' | 'params.data';
  /** Declared (dataset) or inferred (inline) type of each column read. */
  types: Record<string, ColumnType>;
}

const WRITABLE: readonly string[] = ['VARCHAR', 'DOUBLE', 'BIGINT', 'INTEGER', 'BOOLEAN', 'TIMESTAMP', 'DATE'];

function inferType(values: readonly unknown[]): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length && present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.length && present.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'BIGINT';
  if (present.length && present.every((v) => typeof v === 'number')) return 'DOUBLE';
  return 'VARCHAR';
}

function checkColumns(needed: readonly NeededColumn[], have: readonly string[], where: string): void {
  for (const n of needed) {
    if (!have.includes(n.column)) {
      throw fieldError(n.field, `unknown column "${n.column}" in ${where}; columns: ${have.slice(0, 50).join(', ')}`);
    }
  }
}

async function readDataset(store: AnalyticsStore, name: string, needed: readonly NeededColumn[]): Promise<SourceRows> {
  const cols = await store.all<{ column_name: string; data_type: string }>(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
    [name],
  );
  if (!cols.length) throw new NotFoundError(`Dataset "${name}" not found`, { field: 'params.dataset', available: (await store.datasets()).slice(0, 100) }, 'DATASET_NOT_FOUND');
  checkColumns(needed, cols.map((c) => c.column_name), `dataset ${name}`);
  const [{ n }] = (await store.all<{ n: number }>(`SELECT count(*) AS n FROM main.${ident(name)}`)) as [{ n: number }];
  if (n > MAX_DATASET_ROWS) throw fieldError('params.dataset', `has ${n} rows; at most ${MAX_DATASET_ROWS} can be modelled: sample or aggregate it into a smaller table first`);
  const names = [...new Set(needed.map((c) => c.column))];
  const rows = await store.all(`SELECT ${names.map(ident).join(', ')} FROM main.${ident(name)}`);
  const types: Record<string, ColumnType> = {};
  for (const c of cols) if (names.includes(c.column_name)) types[c.column_name] = (WRITABLE.includes(c.data_type) ? c.data_type : 'VARCHAR') as ColumnType;
  return { rows, source: name, sourceField: 'params.dataset', types };
}

function readInline(data: readonly Row[], needed: readonly NeededColumn[]): SourceRows {
  const have = new Set<string>();
  for (const row of data) for (const k of Object.keys(row)) have.add(k);
  checkColumns(needed, [...have], 'data (no row has it)');
  const types: Record<string, ColumnType> = {};
  for (const c of new Set(needed.map((n) => n.column))) types[c] = inferType(data.map((r) => r[c]));
  return { rows: data.slice(), source: 'inline', sourceField: 'params.data', types };
}

/** Reads the rows of `dataset` or `data` (exactly one is set; the schema ensures it). */
export async function readSource(store: AnalyticsStore, p: { dataset?: string; data?: Row[] }, needed: readonly NeededColumn[]): Promise<SourceRows> {
  return p.dataset !== undefined ? readDataset(store, p.dataset, needed) : readInline(p.data ?? [], needed);
}

/** A value as a number for modelling: numbers as they are, booleans as 1/0, null for missing, undefined when not numeric. */
export function numericValue(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return undefined;
}

/** One column as numbers (NaN for missing); a non-numeric value is a 400 naming the parameter and the row. */
export function numericColumn(rows: readonly Row[], column: string, field: string): number[] {
  return rows.map((row, i) => {
    const v = numericValue(row[column]);
    if (v === undefined) throw fieldError(field, `column "${column}" must be numeric or boolean; row ${i + 1} has ${JSON.stringify(row[column])}`);
    return v ?? Number.NaN;
  });
}

/** Rows × columns matrix of the given features, NaN where missing. */
export function featureMatrix(rows: readonly Row[], features: readonly string[], fieldOf: (j: number) => string = (j) => `params.features.${j}`): number[][] {
  const cols = features.map((f, j) => numericColumn(rows, f, fieldOf(j)));
  return rows.map((_, i) => cols.map((c) => c[i]!));
}

/** Fills NaN cells with the given column values (e.g. training means). */
export function impute(matrix: readonly (readonly number[])[], fill: readonly number[]): number[][] {
  return matrix.map((r) => r.map((v, j) => (Number.isNaN(v) ? fill[j]! : v)));
}

/** Column means over the non-missing cells of the given rows; NaN for a column with none. */
export function columnMeans(matrix: readonly (readonly number[])[], width: number): number[] {
  return Array.from({ length: width }, (_, j) => {
    let s = 0;
    let n = 0;
    for (const r of matrix) {
      if (Number.isNaN(r[j]!)) continue;
      s += r[j]!;
      n++;
    }
    return n ? s / n : Number.NaN;
  });
}
