import { fieldError } from '../../../../common/validation';
import type { AnalyticsStore, ColumnType, Row } from '../analytics-store';
import type { SourceRows } from './dataset-source';

/*
 * Tables the actions write back (classify/predict scores, cluster assignments): one row per
 * source row, keyed by the caller's id column or by the row's 1-based position.
 */

export interface RowKey {
  column: string;
  type: ColumnType;
  values: unknown[];
}

export function rowKey(src: SourceRows, idColumn: string | undefined, reserved: readonly string[]): RowKey {
  if (idColumn === undefined) return { column: 'row_number', type: 'BIGINT', values: src.rows.map((_, i) => i + 1) };
  if (reserved.includes(idColumn)) throw fieldError('params.idColumn', `"${idColumn}" clashes with a written column (${reserved.join(', ')})`);
  return { column: idColumn, type: src.types[idColumn] ?? 'VARCHAR', values: src.rows.map((r) => r[idColumn] ?? null) };
}

/** Replaces table `name` with the key column plus `columns`, one row per entry of `values`. */
export async function writeKeyedTable(store: AnalyticsStore, name: string, key: RowKey, columns: Record<string, ColumnType>, values: readonly Row[]): Promise<{ name: string; rows: number }> {
  const rows = values.map((v, i) => ({ [key.column]: key.values[i], ...v }));
  const written = await store.replaceTable(name, { [key.column]: key.type, ...columns }, rows);
  return { name, rows: written };
}
