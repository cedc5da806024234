import { ConflictError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import { defineAction } from '../../sdk';
import { dropDatasetParams, listDatasetsParams, loadDatasetParams } from './analytics-schemas';
import { ident, type AnalyticsStore, type Row } from './analytics-store';
import { datasetSummary, requireDataset, type DatasetColumn, type DatasetSummary } from './dataset-catalog';
import { fileReader, inferColumns, normaliseRows } from './dataset-sources';
import { callerSqlError, duckdbErrorCategory } from './duckdb-errors';

/*
 * Datasets are the tables of the store's `main` schema: what `query` and `describe` read.
 * A file is loaded by DuckDB in one CREATE TABLE … AS SELECT, so a reader sees either no
 * table (or the old one, with replace) or the complete new one.
 */

export interface LoadDatasetAnswer {
  dataset: string;
  rows: number;
  columns: DatasetColumn[];
}

const MAX_INLINE_COLUMNS = 1_000;

function conflict(name: string): ConflictError {
  return new ConflictError(`Dataset "${name}" already exists: pass replace: true to replace it`, { field: 'params.name' });
}

async function loadFile(store: AnalyticsStore, name: string, file: string, replace: boolean): Promise<void> {
  const reader = await fileReader(store.filesDir, file);
  const create = `CREATE ${replace ? 'OR REPLACE ' : ''}TABLE main.${ident(name)} AS SELECT * FROM ${reader}`;
  await store.run(create).catch((err: unknown) => {
    // Another load of the same name may have won the race since the existence check.
    if (duckdbErrorCategory(err) === 'Catalog' && /already exists/.test((err as Error).message)) throw conflict(name);
    throw callerSqlError(err, 'params.file') ?? err;
  });
}

async function loadRows(store: AnalyticsStore, name: string, rows: readonly Row[]): Promise<void> {
  const columns = inferColumns(rows);
  if (Object.keys(columns).length > MAX_INLINE_COLUMNS) throw fieldError('params.rows', `has ${Object.keys(columns).length} distinct keys; at most ${MAX_INLINE_COLUMNS} columns`);
  await store.replaceTable(name, columns, normaliseRows(rows, columns)).catch((err: unknown) => {
    throw callerSqlError(err, 'params.rows') ?? err;
  });
}

/** `load-dataset`: a CSV/Parquet/JSON file from the files dir, or inline rows, as a table. */
export function createLoadDatasetAction(store: AnalyticsStore) {
  return defineAction({
    description:
      'Load a dataset (a table of the analytics store) from a .csv, .parquet, .json or .ndjson file in the DAWG’s analytics files dir, or from inline rows (types inferred); replace: true replaces an existing one',
    params: loadDatasetParams,
    async handler(p): Promise<LoadDatasetAnswer> {
      if (!p.replace && (await store.datasets()).includes(p.name)) throw conflict(p.name);
      if (p.file !== undefined) await loadFile(store, p.name, p.file, p.replace);
      else await loadRows(store, p.name, p.rows ?? []);
      const summary = await datasetSummary(store, p.name);
      return { dataset: p.name, rows: summary.rows, columns: summary.columns };
    },
  });
}

/** `list-datasets`: every dataset with its row count and columns. */
export function createListDatasetsAction(store: AnalyticsStore) {
  return defineAction({
    description: 'List the datasets of the analytics store with their row counts and columns',
    params: listDatasetsParams,
    async handler(): Promise<DatasetSummary[]> {
      const names = await store.datasets();
      const out: DatasetSummary[] = [];
      for (const name of names) out.push(await datasetSummary(store, name));
      return out;
    },
  });
}

/** `drop-dataset`: removes one dataset's table. */
export function createDropDatasetAction(store: AnalyticsStore) {
  return defineAction({
    description: 'Drop a dataset (its table) from the analytics store',
    params: dropDatasetParams,
    async handler(p): Promise<{ dataset: string; dropped: true }> {
      await requireDataset(store, p.name, 'params.name');
      await store.run(`DROP TABLE main.${ident(p.name)}`);
      return { dataset: p.name, dropped: true };
    },
  });
}
