import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createDropDatasetAction, createListDatasetsAction, createLoadDatasetAction } from '../../src/dawg/modules/analytics/datasets';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

let dir: string;
let store: AnalyticsStore;
let registry: ModuleRegistry;

const CSV = 'id,name,score,day\n1,ada,1.5,2024-01-02\n2,bob,2.5,2024-01-03\n3,cy,,2024-01-04\n';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'analytics-datasets-'));
  await writeFile(path.join(dir, 'people.csv'), CSV);
  await mkdir(path.join(dir, 'sub'));
  await writeFile(path.join(dir, 'sub', 'more.csv'), 'k,v\na,1\nb,2\n');
  await writeFile(path.join(dir, 'items.json'), JSON.stringify([{ sku: 'x1', qty: 2 }, { sku: 'x2', qty: 5 }]));
  await writeFile(path.join(dir, 'lines.ndjson'), '{"a":1,"b":"p"}\n{"a":2,"b":"q"}\n{"a":3,"b":null}\n');
  await writeFile(path.join(dir, 'broken.parquet'), 'this is not parquet');
  await writeFile(path.join(dir, 'notes.txt'), 'hello');
  await mkdir(path.join(dir, 'folder.csv'));
  await symlink('/etc/passwd', path.join(dir, 'escape.csv'));
  // A table file left behind by a process that stopped while writing it.
  await mkdir(path.join(dir, '.tmp'));
  await writeFile(path.join(dir, '.tmp', 'orphan.ndjson'), '{"a":1}\n');
  // Parquet written by a separate, unrestricted DuckDB: the store itself is locked down.
  const writer = await DuckDBInstance.create(':memory:');
  const c = await writer.connect();
  await c.run(`COPY (SELECT range::INTEGER AS n, range % 2 = 0 AS even, TIMESTAMP '2024-05-01 12:00:00' + to_hours(range) AS at FROM range(4)) TO '${path.join(dir, 'nums.parquet')}' (FORMAT parquet)`);
  writer.closeSync();
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  registry = new ModuleRegistry();
  registry.register(
    defineModule({
      name: 'analytics',
      description: 'test',
      version: '0.0.0',
      actions: { 'load-dataset': createLoadDatasetAction(store), 'list-datasets': createListDatasetsAction(store), 'drop-dataset': createDropDatasetAction(store) },
    }),
  );
});

it('removes table files left in flight by an earlier process when it opens', async () => {
  await expect(readdir(path.join(dir, '.tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
});

afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<T = Record<string, unknown>>(action: string, params: Record<string, unknown>): Promise<T> {
  const response = await registry.execute({ module: 'analytics', action, params }, { requestId: 'req-1', signal: new AbortController().signal, logger: silentLogger() });
  return response.result as T;
}

const badField = (field: string, message?: RegExp) => ({ status: 400, details: { issues: [{ field, ...(message ? { message: expect.stringMatching(message) } : {}) }] } });

describe('analytics load-dataset from files', () => {
  it('loads a CSV with the types DuckDB detects', async () => {
    const answer = await call('load-dataset', { name: 'people', file: 'people.csv' });
    expect(answer).toEqual({
      dataset: 'people',
      rows: 3,
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'score', type: 'DOUBLE' },
        { name: 'day', type: 'DATE' },
      ],
    });
    expect(await store.all('SELECT name, score FROM main.people ORDER BY id')).toEqual([
      { name: 'ada', score: 1.5 },
      { name: 'bob', score: 2.5 },
      { name: 'cy', score: null },
    ]);
  });

  it('loads Parquet keeping its types, and JSON arrays and NDJSON, also from a subfolder', async () => {
    const parquet = await call('load-dataset', { name: 'nums', file: 'nums.parquet' });
    expect(parquet).toMatchObject({ rows: 4, columns: [{ name: 'n', type: 'INTEGER' }, { name: 'even', type: 'BOOLEAN' }, { name: 'at', type: 'TIMESTAMP' }] });
    expect(await store.all('SELECT sum(n) AS s, count_if(even) AS e FROM main.nums')).toEqual([{ s: 6, e: 2 }]);
    expect(await call('load-dataset', { name: 'items', file: 'items.json' })).toMatchObject({ rows: 2, columns: [{ name: 'sku', type: 'VARCHAR' }, { name: 'qty', type: 'BIGINT' }] });
    expect(await call('load-dataset', { name: 'lines', file: 'lines.ndjson' })).toMatchObject({ rows: 3, columns: [{ name: 'a' }, { name: 'b', type: 'VARCHAR' }] });
    expect(await call('load-dataset', { name: 'more', file: 'sub/more.csv' })).toMatchObject({ rows: 2 });
  });

  it('refuses to overwrite an existing dataset unless replace is true', async () => {
    await call('load-dataset', { name: 'dup', file: 'people.csv' });
    await expect(call('load-dataset', { name: 'dup', file: 'sub/more.csv' })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/already exists.*replace: true/) });
    expect(await call('load-dataset', { name: 'dup', file: 'sub/more.csv', replace: true })).toMatchObject({ rows: 2, columns: [{ name: 'k' }, { name: 'v' }] });
  });

  it.each([
    ['../outside.csv', /without "\.\."/],
    ['/etc/passwd.csv', /relative/],
    ['notes.txt', /must end in \.csv, \.parquet, \.json, \.ndjson/],
    ['*.csv', /glob/],
    ['escape.csv', /leads outside/],
    ['folder.csv', /is not a file/],
  ])('refuses file %s with a 400 on params.file', async (file, message) => {
    await expect(call('load-dataset', { name: 'bad', file })).rejects.toMatchObject(badField('params.file', message));
  });

  it('answers 404 for a missing file and 400 with DuckDB’s message for an unreadable one', async () => {
    await expect(call('load-dataset', { name: 'gone', file: 'missing.csv' })).rejects.toMatchObject({ status: 404, code: 'FILE_NOT_FOUND', details: { field: 'params.file' } });
    await expect(call('load-dataset', { name: 'broken', file: 'broken.parquet' })).rejects.toMatchObject(badField('params.file', /Error/));
    expect(await store.datasets()).not.toContain('broken');
  });
});

describe('analytics load-dataset from inline rows', () => {
  it('infers each column’s type from all its values', async () => {
    const rows = [
      { i: 1, big: 2 ** 40, x: 1.5, flag: true, day: '2024-03-01', at: '2024-03-01T10:00:00+02:00', local: '2024-03-01 10:00:00', mixed: 1, empty: null, odd: '2024-02-30' },
      { i: -3, big: 5, x: 2, flag: false, day: '2024-03-02', at: '2024-03-01T23:30:00Z', local: '2024-03-02', mixed: 'a', empty: null, odd: '2024-02-28' },
      { i: null, flag: null },
    ];
    const answer = await call<{ rows: number; columns: Array<{ name: string; type: string }> }>('load-dataset', { name: 'inline', rows });
    expect(answer.rows).toBe(3);
    expect(Object.fromEntries(answer.columns.map((c) => [c.name, c.type]))).toEqual({
      i: 'INTEGER',
      big: 'BIGINT',
      x: 'DOUBLE',
      flag: 'BOOLEAN',
      day: 'DATE',
      at: 'TIMESTAMP',
      local: 'TIMESTAMP',
      mixed: 'VARCHAR',
      empty: 'VARCHAR',
      odd: 'VARCHAR',
    });
    const stored = await store.all('SELECT i, big, "at"::VARCHAR AS "at", "local"::VARCHAR AS "local", mixed FROM main.inline ORDER BY i NULLS LAST');
    expect(stored).toEqual([
      { i: -3, big: 5, at: '2024-03-01 23:30:00', local: '2024-03-02 00:00:00', mixed: 'a' },
      // The +02:00 offset is applied (10:00+02 is 08:00 UTC), not dropped.
      { i: 1, big: 2 ** 40, at: '2024-03-01 08:00:00', local: '2024-03-01 10:00:00', mixed: '1' },
      { i: null, big: null, at: null, local: null, mixed: null },
    ]);
  });

  it('validates the parameters', async () => {
    await expect(call('load-dataset', { name: 'Bad-Name', rows: [{ a: 1 }] })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.name' }] } });
    await expect(call('load-dataset', { name: 'both', file: 'people.csv', rows: [{ a: 1 }] })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.rows', message: 'give either file or rows' }] } });
    await expect(call('load-dataset', { name: 'neither' })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.file' }] } });
    await expect(call('load-dataset', { name: 'empty', rows: [] })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.rows' }] } });
    await expect(call('load-dataset', { name: 'nested', rows: [{ a: { b: 1 } }] })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.rows.0.a' }] } });
  });
});

describe('analytics list-datasets and drop-dataset', () => {
  it('lists every dataset with rows and columns, and drops one', async () => {
    await call('load-dataset', { name: 'to_drop', rows: [{ a: 1 }, { a: 2 }] });
    const list = await call<Array<{ name: string; rows: number; columns: unknown[] }>>('list-datasets', {});
    expect(list.map((d) => d.name)).toEqual([...list.map((d) => d.name)].sort());
    expect(list.find((d) => d.name === 'to_drop')).toEqual({ name: 'to_drop', rows: 2, columns: [{ name: 'a', type: 'INTEGER' }] });
    expect(list.find((d) => d.name === 'people')).toMatchObject({ rows: 3 });
    expect(await call('drop-dataset', { name: 'to_drop' })).toEqual({ dataset: 'to_drop', dropped: true });
    expect((await call<Array<{ name: string }>>('list-datasets', {})).map((d) => d.name)).not.toContain('to_drop');
  });

  it('answers 404 listing the datasets for an unknown one, and validates params', async () => {
    await expect(call('drop-dataset', { name: 'nope' })).rejects.toMatchObject({ status: 404, code: 'DATASET_NOT_FOUND', message: expect.stringMatching(/available: .*people/), details: { available: expect.arrayContaining(['people']) } });
    await expect(call('drop-dataset', {})).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.name' }] } });
    await expect(call('list-datasets', { all: true })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.all' }] } });
  });
});
