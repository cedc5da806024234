import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createEngagementModule } from '../../src/dawg/modules/engagement';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { loadChurnFixture } from '../helpers/churn-fixture';
import { silentLogger } from '../helpers/logger';

let dir: string;
let store: AnalyticsStore;
let registry: ModuleRegistry;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'engagement-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  await loadChurnFixture(store);
  registry = new ModuleRegistry();
  registry.register(createEngagementModule({ store, now: () => new Date('2025-03-02T08:00:00Z') }));
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<R = Record<string, unknown>>(action: string, params: Record<string, unknown>): Promise<R> {
  const response = await registry.execute({ module: 'engagement', action, params }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger() });
  return response.result as R;
}
const fieldOf = (field: string) => ({ details: expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ field })]) }) });

describe('engagement.score-users', () => {
  it('scores recency, frequency and duration as percentile ranks among active users', async () => {
    const r = await call<Record<string, any>>('score-users', {});
    // Ranks among u1–u4: recency (0,1,10,0 days) → u3 .25, u2 .5, u1/u4 1; sessions (4,3,1,2) → 1, .75, .25, .5;
    // minutes (80,90,10,180) → .5, .75, .25, 1. Score = 100 × (.4 r + .35 f + .25 d).
    expect(r).toMatchObject({
      dataset: 'engagement_scores',
      usersDataset: 'churn_users',
      users: 6,
      asOf: '2025-03-01T12:00:00.000Z',
      weights: { recency: 0.4, frequency: 0.35, duration: 0.25 },
      distribution: { high: 2, medium: 1, low: 1, dormant: 2 },
      mean: 43.33,
      p50: 45,
    });
    expect(r.top.map((t: any) => [t.user_id, t.score])).toEqual([['u1', 87.5], ['u4', 82.5], ['u2', 65], ['u3', 25], ['u5', 0]]);
    expect(r.bottom.map((t: any) => t.user_id)).toEqual(['u5', 'u6', 'u3', 'u2', 'u4']);
    const rows = await store.all('SELECT * FROM main.engagement_scores ORDER BY user_id');
    expect(rows).toEqual([
      { user_id: 'u1', recency_days: 0, sessions: 4, minutes: 80, score: 87.5, tier: 'high' },
      { user_id: 'u2', recency_days: 1, sessions: 3, minutes: 90, score: 65, tier: 'medium' },
      { user_id: 'u3', recency_days: 10, sessions: 1, minutes: 10, score: 25, tier: 'low' },
      { user_id: 'u4', recency_days: 0, sessions: 2, minutes: 180, score: 82.5, tier: 'high' },
      { user_id: 'u5', recency_days: 45, sessions: 0, minutes: 0, score: 0, tier: 'dormant' },
      { user_id: 'u6', recency_days: null, sessions: 0, minutes: 0, score: 0, tier: 'dormant' },
    ]);
  });

  it('honours asOf and lookbackDays, and saves under another name', async () => {
    // 2025-02-25, 7 days: u2 (sessions 02-20, 02-24), u3 (session 02-19) and u4 (an e-mail open 02-23) are active.
    const r = await call<Record<string, any>>('score-users', { asOf: '2025-02-25T00:00:00Z', lookbackDays: 7, saveAs: 'scores_feb' });
    expect(r.distribution).toEqual({ high: 1, medium: 1, low: 1, dormant: 3 });
    const rows = await store.all("SELECT user_id, recency_days, sessions, score, tier FROM main.scores_feb WHERE tier <> 'dormant' ORDER BY user_id");
    // Recency u2 0 d, u4 1 d, u3 5 d → 1, 2/3, 1/3; sessions 2, 0, 1 → 1, 0 (none), 2/3; minutes 60, 0, 10 → 1, 0, 2/3.
    expect(rows).toEqual([
      { user_id: 'u2', recency_days: 0, sessions: 2, score: 100, tier: 'high' },
      { user_id: 'u3', recency_days: 5, sessions: 1, score: 53.3, tier: 'medium' },
      { user_id: 'u4', recency_days: 1, sessions: 0, score: 26.7, tier: 'low' },
    ]);
  });

  it('refuses bad input naming the field', async () => {
    await expect(call('score-users', { lookbackDays: 0 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.lookbackDays') });
    await expect(call('score-users', { asOf: 'yesterday' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.asOf') });
    await expect(call('score-users', { activityDataset: 'no_such' })).rejects.toMatchObject({ status: 404, details: { field: 'params.activityDataset' } });
    await expect(call('score-users', { activityDataset: 'bad name;' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.activityDataset') });
    await expect(call('score-users', { saveAs: 'churn_activity' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.saveAs') });
    await expect(call('score-users', { saveAs: 'churn_users' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.saveAs') });
    // A dataset that is not an earlier score table is not silently replaced.
    await store.replaceTable('monthly_report', { month: 'DATE', users: 'INTEGER' }, [{ month: '2025-01-01', users: 3 }]);
    await expect(call('score-users', { saveAs: 'monthly_report' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.saveAs') });
    expect(await store.all('SELECT users FROM main.monthly_report')).toEqual([{ users: 3 }]);
    await expect(call('score-users', { colour: 'red' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.colour') });
    // A dataset loaded from text whose timestamps are not timestamps is the caller's data to fix, not a 500.
    await store.replaceTable('text_activity', { user_id: 'VARCHAR', ts: 'VARCHAR', event: 'VARCHAR', minutes: 'VARCHAR' }, [{ user_id: 'u1', ts: 'yesterday', event: 'session', minutes: '5' }]);
    await expect(call('score-users', { activityDataset: 'text_activity', saveAs: 'text_scores' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.activityDataset') });
  });
});

describe('engagement.cohorts', () => {
  it('builds the monthly retention triangle, leaving unobserved periods null', async () => {
    const r = await call<Record<string, any>>('cohorts', { periods: 4 });
    // Activity covers 2024-12-05 … 2025-03-01 12:00. Cohorts: Dec (u3), Jan (u1, u5), Feb (u2, u4); March has no signups.
    expect(r.coverage).toEqual({ from: '2024-12-05T09:00:00.000Z', to: '2025-03-01T12:00:00.000Z' });
    expect(r.partialPeriodStart).toBe('2025-03-01');
    expect(r.cohorts).toEqual([
      // Dec began before the data (null); u3 absent in Jan, active in Feb, absent in March.
      { cohort: '2024-12-01', size: 1, active: [null, 0, 1, 0], retention: [null, 0, 1, 0] },
      // u5 active in Jan only; u1 in Feb and March; April is after the data.
      { cohort: '2025-01-01', size: 2, active: [1, 1, 1, null], retention: [0.5, 0.5, 0.5, null] },
      { cohort: '2025-02-01', size: 2, active: [2, 0, null, null], retention: [1, 0, null, null] },
    ]);
  });

  it('works by week', async () => {
    const r = await call<Record<string, any>>('cohorts', { period: 'week', periods: 2 });
    // Latest week starts Mon 2025-02-24; the two latest cohorts hold only u4 (signup Thu 02-20), who opened an
    // e-mail on Sun 02-23 and had sessions on 02-26 and 02-28.
    expect(r.cohorts).toEqual([{ cohort: '2025-02-17', size: 1, active: [1, 1], retention: [1, 1] }]);
  });

  it('refuses bad input naming the field', async () => {
    await expect(call('cohorts', { period: 'year' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.period') });
    await expect(call('cohorts', { periods: 25 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.periods') });
    await expect(call('cohorts', { usersDataset: 'churn_activity' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.usersDataset') });
    await expect(call('cohorts', { usersDataset: 'nope' })).rejects.toMatchObject({ status: 404, details: { field: 'params.usersDataset' } });
  });
});
