import { NotFoundError } from '../../../common/errors';
import { ident, type AnalyticsStore } from './analytics-store';

/*
 * What the store knows about its datasets (the tables of schema main), shared by the dataset
 * actions and describe. All of it comes from DuckDB's catalog, never from a list kept in JS.
 */

export interface DatasetColumn {
  name: string;
  type: string;
}

export interface DatasetSummary {
  name: string;
  rows: number;
  columns: DatasetColumn[];
}

/** The dataset's columns in table order; empty when there is no such table. */
export async function datasetColumns(store: AnalyticsStore, name: string): Promise<DatasetColumn[]> {
  return store.all<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM duckdb_columns()
      WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1
      ORDER BY column_index`,
    [name],
  );
}

export async function datasetSummary(store: AnalyticsStore, name: string): Promise<DatasetSummary> {
  const [count] = await store.all<{ n: number }>(`SELECT count(*) AS n FROM main.${ident(name)}`);
  return { name, rows: count?.n ?? 0, columns: await datasetColumns(store, name) };
}

/** Throws a 404 listing the datasets there are when `name` is not one of them. */
export async function requireDataset(store: AnalyticsStore, name: string, field: string): Promise<void> {
  const available = await store.datasets();
  if (!available.includes(name)) {
    const listed = available.length > 20 ? `${available.slice(0, 20).join(', ')}, … (${available.length} in all)` : available.join(', ');
    throw new NotFoundError(`Unknown dataset "${name}"; ${available.length ? `available: ${listed}` : 'no dataset is loaded yet'}`, { field, available }, 'DATASET_NOT_FOUND');
  }
}
