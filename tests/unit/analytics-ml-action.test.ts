import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { AnalyticsCompute } from '../../src/dawg/modules/analytics/compute';
import { createMlModelAction } from '../../src/dawg/modules/analytics/ml';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

/** Action answers are read deep into, as a client reads their JSON. */
type Answer = Record<string, any>;

let dir: string;
let store: AnalyticsStore;
const compute = new AnalyticsCompute();
let registry: ModuleRegistry;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ml-action-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  registry = new ModuleRegistry();
  registry.register(defineModule({ name: 'analytics', description: 'test', version: '0.0.0', actions: { 'ml-model': createMlModelAction(store, compute) } }));
});
afterAll(async () => {
  await compute.close();
  store.close();
  await rm(dir, { recursive: true, force: true });
});

function run(params: Record<string, unknown>): Promise<Answer> {
  return registry
    .execute({ module: 'analytics', action: 'ml-model', params }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger() })
    .then((r) => r.result as Answer);
}

/** A 4xx naming `field` (parseInput and fieldError both put it in details.issues). */
async function expectFieldError(params: Record<string, unknown>, status: number, field: string): Promise<void> {
  await expect(run(params)).rejects.toMatchObject({ status, details: { issues: [expect.objectContaining({ field })] } });
}

const monthly = Array.from({ length: 48 }, (_, t) => ({
  month: new Date(Date.UTC(2022, t, 1)).toISOString().slice(0, 10),
  value: 100 + 0.8 * t + [6, 3, 1, -1, -3, -4, -5, -2, 0, 1, 3, 1][t % 12]! + new Prng(t).normal(0, 0.5),
}));

/** Two informative features and one noise feature; label from a known logistic model. */
function classRows(n: number, seed: number) {
  const rng = new Prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = rng.normal();
    const b = rng.normal();
    return { id: `r${i}`, a, b, noise: rng.normal(), flag: rng.bernoulli(0.5), label: rng.next() < 1 / (1 + Math.exp(-(-1 + 2 * a - b))) };
  });
}

describe('analytics.ml-model training kinds', () => {
  it('forecast: monthly dates in, ISO months out, Holt-Winters chosen, intervals widening; model stored', async () => {
    const r = await run({ kind: 'forecast', data: monthly, timeColumn: 'month', targetColumn: 'value', horizon: 14, name: 'revenue' });
    expect(r.modelId).toMatch(/^mdl_[0-9a-f-]{36}$/);
    expect(r).toMatchObject({ kind: 'forecast', name: 'revenue', rows: 48, method: 'holt-winters-additive', seasonLength: 12, confidence: 0.95 });
    expect(r.forecast).toHaveLength(14);
    expect(r.forecast[0].t).toBe('2026-01-01');
    expect(r.forecast[13].t).toBe('2027-02-01');
    // The true next value (noise sd 0.5): close, and inside the interval.
    const next = 100 + 0.8 * 48 + 6;
    expect(Math.abs(r.forecast[0].yhat - next)).toBeLessThan(1);
    expect(r.forecast[0].lower).toBeLessThan(next);
    expect(r.forecast[0].upper).toBeGreaterThan(next);
    expect(r.forecast[13].upper - r.forecast[13].lower).toBeGreaterThan(r.forecast[0].upper - r.forecast[0].lower);
    expect(r.metrics.holdout.mape).toBeLessThan(2);
    const [row] = await store.all<Record<string, string>>('SELECT kind, name, target, params FROM jarvis.ml_models WHERE id = ?', [r.modelId]);
    expect(row).toMatchObject({ kind: 'forecast', name: 'revenue', target: 'value' });
    expect(JSON.parse(row!.params!).model.method).toBe('holt-winters-additive');
  });

  it('forecast reads a dataset table with a DATE column', async () => {
    await store.replaceTable('sales', { month: 'DATE', value: 'DOUBLE' }, monthly);
    const r = await run({ kind: 'forecast', dataset: 'sales', timeColumn: 'month', targetColumn: 'value', horizon: 3 });
    expect(r.source).toBe('sales');
    expect(r.forecast.map((f: Answer) => f.t)).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
  });

  it('classify: held-out metrics, coefficients, importance; scores every row; predict reproduces them', async () => {
    const data = classRows(2_000, 1);
    await store.replaceTable('people', { id: 'VARCHAR', a: 'DOUBLE', b: 'DOUBLE', noise: 'DOUBLE', flag: 'BOOLEAN', label: 'BOOLEAN' }, data);
    const r = await run({ kind: 'classify', dataset: 'people', targetColumn: 'label', features: ['a', 'b', 'noise', 'flag'], idColumn: 'id', scoreDataset: 'people_scores', featureGroups: { signal: ['a', 'b'] } });
    expect(r.metrics.auc).toBeGreaterThan(0.8);
    expect(r.metrics.testRows + r.metrics.trainRows).toBe(2_000);
    expect(r.metrics.testRows).toBe(500);
    const coef = Object.fromEntries(r.coefficients.map((c: Answer) => [c.feature, c.perUnit]));
    expect(coef.a).toBeGreaterThan(1.5);
    expect(coef.b).toBeLessThan(-0.7);
    expect(r.importance[0]).toMatchObject({ name: 'signal', features: ['a', 'b'] });
    expect(r.importance[0].share).toBeGreaterThan(0.9);
    expect(r.importance.reduce((s: number, u: Answer) => s + u.share, 0)).toBeCloseTo(1, 10);
    expect(r.scoreDataset).toEqual({ name: 'people_scores', rows: 2_000 });
    const scores = await store.all<{ id: string; probability: number; predicted: boolean }>('SELECT * FROM people_scores');
    expect(scores[0]!.id).toBe('r0');
    const predicted = await run({ kind: 'predict', modelId: r.modelId, data: data.slice(0, 20), idColumn: 'id' });
    expect(predicted).toMatchObject({ kind: 'predict', modelKind: 'classify', rows: 20, truncated: false });
    predicted.predictions.forEach((p: Answer, i: number) => {
      expect(p.id).toBe(`r${i}`);
      expect(p.probability).toBe(scores[i]!.probability);
      expect(p.predicted).toBe(scores[i]!.predicted);
    });
    const again = await run({ kind: 'predict', modelId: r.modelId, dataset: 'people', scoreDataset: 'people_scores_2' });
    expect(again.scoreDataset).toEqual({ name: 'people_scores_2', rows: 2_000 });
    const same = await store.all<{ n: number }>('SELECT count(*) AS n FROM people_scores s JOIN people_scores_2 t ON t.row_number = s.rowid + 1 WHERE s.probability = t.probability');
    expect(same[0]!.n).toBe(2_000);
  });

  it('classify is deterministic for a seed and changes with it', async () => {
    const data = classRows(600, 2);
    const base = { kind: 'classify', data, targetColumn: 'label', features: ['a', 'b'] };
    const [x, y, z] = await Promise.all([run({ ...base, seed: 5 }), run({ ...base, seed: 5 }), run({ ...base, seed: 6 })]);
    expect(y.metrics).toEqual(x.metrics);
    expect(y.importance).toEqual(x.importance);
    expect(z.metrics.auc).not.toBe(x.metrics.auc);
  });

  it('cluster: k chosen by silhouette, centroids in original units, assignments written and predicted alike', async () => {
    const rng = new Prng(3);
    const centres = [[10, 100], [20, 300], [30, 100]];
    const data = Array.from({ length: 240 }, (_, i) => {
      const c = centres[i % 3]!;
      return { id: i + 1, x: c[0]! + rng.normal(0, 1), y: c[1]! + rng.normal(0, 10) };
    });
    const r = await run({ kind: 'cluster', data, features: ['x', 'y'], seed: 4, idColumn: 'id', assignDataset: 'blob_clusters' });
    expect(r.metrics.k).toBe(3);
    expect(r.metrics.silhouette).toBeGreaterThan(0.5);
    expect(r.clusters.map((c: Answer) => c.size).sort()).toEqual([80, 80, 80]);
    const found = r.clusters.map((c: Answer) => [Math.round(c.centroid.x / 10) * 10, Math.round(c.centroid.y / 100) * 100]).sort((a: number[], b: number[]) => a[0]! - b[0]!);
    expect(found).toEqual(centres);
    const written = await store.all<{ id: number; cluster: number }>('SELECT id, cluster FROM blob_clusters ORDER BY id');
    expect(written).toHaveLength(240);
    const predicted = await run({ kind: 'predict', modelId: r.modelId, data, idColumn: 'id' });
    expect(predicted.predictions.map((p: Answer) => p.cluster)).toEqual(written.map((w) => w.cluster));
  });

  it('anomaly: finds the injected spikes in time order, with their time', async () => {
    const rng = new Prng(9);
    const data = Array.from({ length: 120 }, (_, t) => ({
      day: new Date(Date.UTC(2026, 0, 1 + t)).toISOString().slice(0, 10),
      visits: 500 + [0, 20, 30, 25, 10, -40, -45][t % 7]! + rng.normal(0, 8) + (t === 40 ? 120 : t === 90 ? -110 : 0),
    }));
    const r = await run({ kind: 'anomaly', data: data.slice().reverse(), metric: 'visits', timeColumn: 'day' });
    expect(r.anomalies.map((a: Answer) => [a.index, a.t, a.direction])).toEqual([[40, '2026-02-10', 'high'], [90, '2026-04-01', 'low']]);
    expect(r.metrics).toMatchObject({ points: 120, count: 2, period: 7 });
  });
});

describe('analytics.ml-model bad input', () => {
  const data = classRows(50, 9);

  it('refuses a missing or doubled source and bad parameters with the field named', async () => {
    await expectFieldError({ kind: 'cluster', features: ['a'] }, 400, 'params.data');
    await expectFieldError({ kind: 'cluster', features: ['a'], data, dataset: 'people' }, 400, 'params.dataset');
    await expectFieldError({ kind: 'forecast', data: monthly, timeColumn: 'month', targetColumn: 'value', horizon: 0 }, 400, 'params.horizon');
    await expectFieldError({ kind: 'anomaly', data, metric: 'a', sensitivity: 1 }, 400, 'params.sensitivity');
    await expectFieldError({ kind: 'cluster', data, features: ['a'], extra: 1 }, 400, 'params.extra');
    await expectFieldError({ kind: 'cluster', data, features: ['a', 'a'] }, 400, 'params.features.1');
    await expectFieldError({ kind: 'classify', data, targetColumn: 'label', features: ['a', 'label'] }, 400, 'params.features.1');
    await expectFieldError({ kind: 'cluster', dataset: 'Bad-Name', features: ['a'] }, 400, 'params.dataset');
    await expectFieldError({ kind: 'regress', data }, 400, 'params.kind');
    await expectFieldError({ kind: 'classify', dataset: 'people', targetColumn: 'label', features: ['a'], scoreDataset: 'people' }, 400, 'params.scoreDataset');
  });

  it('unknown dataset → 404, unknown column → 400 naming the parameter', async () => {
    await expect(run({ kind: 'cluster', dataset: 'nope', features: ['a'] })).rejects.toMatchObject({ status: 404, code: 'DATASET_NOT_FOUND' });
    await expectFieldError({ kind: 'classify', data, targetColumn: 'label', features: ['a', 'zz'] }, 400, 'params.features.1');
    await expectFieldError({ kind: 'classify', data, targetColumn: 'lbl', features: ['a'] }, 400, 'params.targetColumn');
    await expectFieldError({ kind: 'forecast', data: monthly, timeColumn: 'when', targetColumn: 'value' }, 400, 'params.timeColumn');
    await expectFieldError({ kind: 'anomaly', data, metric: 'visits' }, 400, 'params.metric');
    await expectFieldError({ kind: 'cluster', data, features: ['a'], idColumn: 'key' }, 400, 'params.idColumn');
  });

  it('explains unusable values and too few rows', async () => {
    await expectFieldError({ kind: 'classify', data, targetColumn: 'label', features: ['a', 'id'] }, 400, 'params.features.1');
    await expectFieldError({ kind: 'classify', data, targetColumn: 'a', features: ['b'] }, 400, 'params.targetColumn');
    await expectFieldError({ kind: 'classify', data: data.map((d) => ({ ...d, label: true })), targetColumn: 'label', features: ['a'] }, 400, 'params.targetColumn');
    await expectFieldError({ kind: 'classify', data, targetColumn: 'label', features: ['a'], featureGroups: { g: ['b'] } }, 400, 'params.featureGroups.g.0');
    await expectFieldError({ kind: 'forecast', data: monthly.slice(0, 7), timeColumn: 'month', targetColumn: 'value' }, 400, 'params.data');
    await expectFieldError({ kind: 'forecast', data: monthly.slice(0, 20), timeColumn: 'month', targetColumn: 'value', seasonLength: 12 }, 400, 'params.seasonLength');
    await expectFieldError({ kind: 'forecast', data: monthly.filter((_, i) => i !== 5), timeColumn: 'month', targetColumn: 'value' }, 400, 'params.timeColumn');
    await expectFieldError({ kind: 'cluster', data: data.slice(0, 4), features: ['a'], clusters: 5 }, 400, 'params.data');
    await expectFieldError({ kind: 'anomaly', data: data.slice(0, 5), metric: 'a' }, 400, 'params.data');
  });

  it('predict: unknown model 404, unsupported kind and missing columns 400', async () => {
    await expect(run({ kind: 'predict', modelId: 'mdl_00000000-0000-0000-0000-000000000000', data })).rejects.toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
    const f = await run({ kind: 'forecast', data: monthly, timeColumn: 'month', targetColumn: 'value', horizon: 2 });
    await expect(run({ kind: 'predict', modelId: f.modelId, data })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('predict supports classify and cluster') });
    const c = await run({ kind: 'classify', data, targetColumn: 'label', features: ['a', 'b'] });
    await expectFieldError({ kind: 'predict', modelId: c.modelId, data: [{ a: 1 }] }, 400, 'params.data');
    await expectFieldError({ kind: 'predict', modelId: c.modelId, data: [{ a: 1, b: 'x' }] }, 400, 'params.data');
  });
});
