import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createDescribeAction, type ColumnProfile, type DescribeAnswer } from '../../src/dawg/modules/analytics/describe';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

let dir: string;
let store: AnalyticsStore;
let registry: ModuleRegistry;

/** x = 1..10 and columns derived from it, so every figure is known in advance. */
const SAMPLE = `
  SELECT x::INTEGER AS x, 2.0 * x AS y, (11 - x)::INTEGER AS z, 5 AS k,
         CASE WHEN x IN (3, 7) THEN NULL ELSE x::DOUBLE END AS m,
         CASE WHEN x <= 8 THEN 0 WHEN x = 9 THEN 1 ELSE 10 END AS h,
         CASE WHEN x = 1 THEN NULL ELSE x > 7 END AS flag,
         CASE WHEN x <= 5 THEN 'a' WHEN x <= 8 THEN 'b' WHEN x = 9 THEN 'c' END AS label,
         DATE '2024-01-01' + x::INTEGER AS day,
         [x] AS tags
    FROM range(1, 11) r(x)`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'analytics-describe-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  await store.run(`CREATE TABLE main.sample AS ${SAMPLE}`);
  await store.run('CREATE TABLE main.empty (a DOUBLE, b VARCHAR)');
  const many = Array.from({ length: 205 }, (_, i) => `(range * ${i + 1}) % 7 AS c${i}`).join(', ');
  await store.run(`CREATE TABLE main.wide AS SELECT ${many} FROM range(20)`);
  registry = new ModuleRegistry();
  registry.register(defineModule({ name: 'analytics', description: 'test', version: '0.0.0', actions: { describe: createDescribeAction(store) } }));
});

afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function describeDataset(params: Record<string, unknown>, signal = new AbortController().signal): Promise<DescribeAnswer> {
  const response = await registry.execute({ module: 'analytics', action: 'describe', params }, { requestId: 'req-1', signal, logger: silentLogger() });
  return response.result as DescribeAnswer;
}

function column<K extends ColumnProfile['kind']>(answer: DescribeAnswer, name: string, kind: K): Extract<ColumnProfile, { kind: K }> {
  const found = answer.columns.find((c) => c.name === name);
  expect(found?.kind).toBe(kind);
  return found as Extract<ColumnProfile, { kind: K }>;
}

/** Pearson's r over the pairs where both values are present, computed independently of DuckDB. */
function pearson(a: Array<number | null>, b: Array<number | null>): number {
  const pairs = a.map((v, i) => [v, b[i]] as const).filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  const ma = mean(pairs.map((p) => p[0]));
  const mb = mean(pairs.map((p) => p[1]));
  const cov = pairs.reduce((s, [u, v]) => s + (u - ma) * (v - mb), 0);
  const va = pairs.reduce((s, [u]) => s + (u - ma) ** 2, 0);
  const vb = pairs.reduce((s, [, v]) => s + (v - mb) ** 2, 0);
  return cov / Math.sqrt(va * vb);
}

describe('analytics describe', () => {
  it('computes exact numeric statistics and a 10-bin histogram of 1..10', async () => {
    const answer = await describeDataset({ dataset: 'sample' });
    expect(answer).toMatchObject({ dataset: 'sample', rowCount: 10, omittedColumns: [] });
    const x = column(answer, 'x', 'numeric');
    expect(x).toMatchObject({ type: 'INTEGER', missing: { count: 0, share: 0 }, distinct: 10, min: 1, max: 10, mean: 5.5, p25: 3.25, p50: 5.5, p75: 7.75 });
    expect(x.std).toBeCloseTo(Math.sqrt(55 / 6), 12);
    expect(x.histogram).toHaveLength(10);
    expect(x.histogram!.map((b) => b.count)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(x.histogram![0]!.from).toBe(1);
    expect(x.histogram![0]!.to).toBeCloseTo(1.9, 12);
    expect(x.histogram![9]!.to).toBe(10);
    const h = column(answer, 'h', 'numeric');
    expect(h.histogram!.map((b) => b.count)).toEqual([8, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(column(answer, 'k', 'numeric')).toMatchObject({ min: 5, max: 5, std: 0, distinct: 1, histogram: [{ from: 5, to: 5, count: 10 }] });
  });

  it('counts missing values, true shares, top values and date ranges', async () => {
    const answer = await describeDataset({ dataset: 'sample' });
    expect(column(answer, 'm', 'numeric')).toMatchObject({ missing: { count: 2, share: 0.2 }, distinct: 8, min: 1, max: 10 });
    const flag = column(answer, 'flag', 'boolean');
    expect(flag).toMatchObject({ type: 'BOOLEAN', missing: { count: 1, share: 0.1 }, distinct: 2, trueCount: 3 });
    expect(flag.trueShare).toBeCloseTo(3 / 9, 12);
    expect(column(answer, 'label', 'text')).toMatchObject({
      missing: { count: 1, share: 0.1 },
      distinct: 3,
      top: [
        { value: 'a', count: 5 },
        { value: 'b', count: 3 },
        { value: 'c', count: 1 },
      ],
    });
    expect(column(answer, 'day', 'temporal')).toMatchObject({ type: 'DATE', min: '2024-01-02', max: '2024-01-11', distinct: 10 });
    expect(column(answer, 'tags', 'other')).toMatchObject({ distinct: 10, missing: { count: 0, share: 0 } });
  });

  it('correlates the numeric and boolean columns, null for a constant one, strongest pairs first', async () => {
    const { correlations } = await describeDataset({ dataset: 'sample' });
    expect(correlations.columns).toEqual(['x', 'y', 'z', 'k', 'm', 'h', 'flag']);
    const r = (a: string, b: string) => correlations.matrix[correlations.columns.indexOf(a)]![correlations.columns.indexOf(b)];
    const xs = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(r('x', 'y')).toBeCloseTo(1, 12);
    expect(r('x', 'z')).toBeCloseTo(-1, 12);
    expect(r('x', 'm')).toBeCloseTo(1, 12);
    expect(r('x', 'k')).toBeNull();
    expect(r('k', 'k')).toBeNull();
    expect(r('x', 'x')).toBe(1);
    expect(r('y', 'x')).toBe(r('x', 'y'));
    expect(r('x', 'h')).toBeCloseTo(pearson(xs, xs.map((v) => (v <= 8 ? 0 : v === 9 ? 1 : 10))), 12);
    expect(r('x', 'flag')).toBeCloseTo(pearson(xs, xs.map((v) => (v === 1 ? null : v > 7 ? 1 : 0))), 12);
    const strengths = correlations.strongest.map((p) => Math.abs(p.r));
    expect(strengths[0]).toBeCloseTo(1, 12);
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
    expect(correlations.strongest.some((p) => p.a === 'k' || p.b === 'k')).toBe(false);
    expect(correlations.strongest.length).toBeLessThanOrEqual(10);
  });

  it('describes only the columns asked for', async () => {
    const answer = await describeDataset({ dataset: 'sample', columns: ['label', 'x'] });
    expect(answer.columns.map((c) => c.name)).toEqual(['label', 'x']);
    expect(answer.correlations).toMatchObject({ columns: ['x'], matrix: [[1]], strongest: [] });
  });

  it('handles an empty dataset', async () => {
    const answer = await describeDataset({ dataset: 'empty' });
    expect(answer.rowCount).toBe(0);
    expect(column(answer, 'a', 'numeric')).toMatchObject({ missing: { count: 0, share: 0 }, min: null, mean: null, std: null, histogram: null });
    expect(column(answer, 'b', 'text')).toMatchObject({ top: [] });
  });

  it('caps the described columns at 200 and the correlation matrix at 50', async () => {
    const answer = await describeDataset({ dataset: 'wide' });
    expect(answer.columns).toHaveLength(200);
    expect(answer.omittedColumns).toEqual(['c200', 'c201', 'c202', 'c203', 'c204']);
    expect(answer.correlations.columns).toHaveLength(50);
    expect(answer.correlations.omitted).toHaveLength(150);
  });

  it('stops when the caller goes away, and the reader works afterwards', async () => {
    await store.run('CREATE TABLE main.big AS SELECT range AS a, range * 2.5 AS b, range % 7 AS c, (range % 13)::VARCHAR AS d FROM range(1000000)');
    const started = Date.now();
    await describeDataset({ dataset: 'big' });
    const full = Date.now() - started;
    const controller = new AbortController();
    const reason = new Error('client went away');
    setTimeout(() => controller.abort(reason), Math.max(1, Math.floor(full / 4)));
    await expect(describeDataset({ dataset: 'big' }, controller.signal)).rejects.toBe(reason);
    expect((await describeDataset({ dataset: 'sample', columns: ['x'] })).rowCount).toBe(10);
    await store.run('DROP TABLE main.big');
  });

  it('answers 404 listing the datasets for an unknown one, 400 naming an unknown column', async () => {
    await expect(describeDataset({ dataset: 'missing' })).rejects.toMatchObject({ status: 404, code: 'DATASET_NOT_FOUND', message: expect.stringMatching(/available: empty, sample, wide/) });
    await expect(describeDataset({ dataset: 'sample', columns: ['x', 'nope'] })).rejects.toMatchObject({
      status: 400,
      details: { issues: [{ field: 'params.columns', message: expect.stringMatching(/^"nope" is not a column of sample/) }], unknown: ['nope'] },
    });
    await expect(describeDataset({ dataset: 'sample', columns: [] })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.columns' }] } });
    await expect(describeDataset({ dataset: 'Sample' })).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.dataset' }] } });
  });
});
