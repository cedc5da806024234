import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { AnalyticsCompute } from '../../src/dawg/modules/analytics/compute';
import { createMlModelAction } from '../../src/dawg/modules/analytics/ml';
import { createGenerateDatasetAction, generateChurnDataset } from '../../src/dawg/modules/analytics/synthetic';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

/*
 * The blueprint's DataScientist scenario on the synthetic churn data: find at-risk users, name
 * the churn factors with measured weights, forecast next month's churn with an interval. The
 * floors below are what a working model reaches; a broken one falls through them.
 */

/** Action answers are read deep into, as a client reads their JSON. */
type Answer = Record<string, any>;

let dir: string;
let store: AnalyticsStore;
const compute = new AnalyticsCompute();
let registry: ModuleRegistry;

const run = (action: string, params: Record<string, unknown>) =>
  registry.execute({ module: 'analytics', action, params }, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger() }).then((r) => r.result as Answer);

const features = ['days_since_last_active', 'sessions_30d', 'minutes_30d', 'monthly_price', 'price_increased', 'competitor_offer', 'support_tickets', 'tenure_days'];
const featureGroups = {
  inactivity: ['days_since_last_active', 'sessions_30d', 'minutes_30d'],
  pricing: ['monthly_price', 'price_increased'],
  competition: ['competitor_offer'],
};
const classify = { kind: 'classify', dataset: 'churn_users', targetColumn: 'churned', features, featureGroups, idColumn: 'user_id', seed: 1 };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ml-churn-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  registry = new ModuleRegistry();
  registry.register(
    defineModule({ name: 'analytics', description: 't', version: '0', actions: { 'ml-model': createMlModelAction(store, compute), 'generate-dataset': createGenerateDatasetAction(store, compute) } }),
  );
  await run('generate-dataset', { kind: 'churn', seed: 42, users: 3_000 });
});
afterAll(async () => {
  await compute.close();
  store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('churn scenario', () => {
  it('classify: held-out AUC ≥ 0.75, inactivity the largest measured weight, at-risk users scored', async () => {
    const r = await run('ml-model', { ...classify, scoreDataset: 'churn_scores' });
    expect(r.rows).toBe(3_000);
    expect(r.metrics.auc).toBeGreaterThanOrEqual(0.75);
    expect(r.metrics.baseRate).toBeGreaterThan(0.02);
    expect(r.metrics.baseRate).toBeLessThan(0.07);
    expect(r.importance[0].name).toBe('inactivity');
    const share = Object.fromEntries(r.importance.map((u: Answer) => [u.name, u.share]));
    expect(share.inactivity).toBeGreaterThan(share.pricing);
    expect(share.inactivity).toBeGreaterThan(share.competition);
    // The generator's signs: inactivity and price rises raise churn, sessions lower it.
    const coef = Object.fromEntries(r.coefficients.map((c: Answer) => [c.feature, c.perSd]));
    expect(coef.days_since_last_active).toBeGreaterThan(0);
    expect(coef.price_increased).toBeGreaterThan(0);
    expect(coef.competitor_offer).toBeGreaterThan(0);
    // At-risk users: the top-scored tenth holds far more churners than the base rate.
    const [top] = await store.all<{ rate: number }>(
      'SELECT avg(CASE WHEN u.churned THEN 1 ELSE 0 END) AS rate FROM (SELECT * FROM churn_scores ORDER BY probability DESC LIMIT 300) s JOIN churn_users u USING (user_id)',
    );
    expect(top!.rate).toBeGreaterThan(3 * r.metrics.baseRate);
  });

  it('the same seed gives identical metrics; regenerating with another seed changes the data', async () => {
    const a = await run('ml-model', classify);
    const b = await run('ml-model', classify);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.importance).toEqual(a.importance);
    expect(b.modelId).not.toBe(a.modelId);
    await run('generate-dataset', { kind: 'churn', seed: 43, users: 3_000, prefix: 'churn43' });
    const c = await run('ml-model', { ...classify, dataset: 'churn43_users' });
    expect(c.metrics.auc).not.toBe(a.metrics.auc);
  });

  it('forecast on churn_monthly: holdout MAPE under 20 %, next month\'s interval holds the true rate in most seeds', async () => {
    const r = await run('ml-model', { kind: 'forecast', dataset: 'churn_monthly', timeColumn: 'month', targetColumn: 'churn_rate', horizon: 3 });
    expect(r.forecast[0].t).toBe('2026-11-01');
    expect(r.metrics.holdout.mape).toBeLessThan(20);
    expect(r.forecast[0].lower).toBeGreaterThan(0.01);
    expect(r.forecast[0].upper).toBeLessThan(0.08);
    let covered = 0;
    const seeds = [42, 1, 2, 3, 4, 5];
    for (const seed of seeds) {
      const d = generateChurnDataset({ seed, users: 3_000, asOf: '2026-11-01' });
      const f = await run('ml-model', { kind: 'forecast', data: d.monthly, timeColumn: 'month', targetColumn: 'churn_rate', horizon: 1 });
      const next = f.forecast[0];
      if (d.truth.nextMonth.churnRate >= next.lower && d.truth.nextMonth.churnRate <= next.upper) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(5);
  });

  it('predict with the stored churn model reproduces the training-time probabilities', async () => {
    const r = await run('ml-model', { ...classify, scoreDataset: 'churn_scores_a' });
    const p = await run('ml-model', { kind: 'predict', modelId: r.modelId, dataset: 'churn_users', idColumn: 'user_id', scoreDataset: 'churn_scores_b' });
    expect(p.scoreDataset).toEqual({ name: 'churn_scores_b', rows: 3_000 });
    const [diff] = await store.all<{ n: number; differing: number }>(
      'SELECT count(*) AS n, count(*) FILTER (WHERE a.probability <> b.probability OR a.predicted <> b.predicted) AS differing FROM churn_scores_a a JOIN churn_scores_b b USING (user_id)',
    );
    expect(diff).toEqual({ n: 3_000, differing: 0 });
  });
});
