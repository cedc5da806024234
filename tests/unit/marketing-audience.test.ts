import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createMarketingModule } from '../../src/dawg/modules/marketing';
import { bestHour, smoothedHistogram } from '../../src/dawg/modules/marketing/send-hours';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { loadChurnFixture } from '../helpers/churn-fixture';
import { silentLogger } from '../helpers/logger';

let dir: string;
let store: AnalyticsStore;
let registry: ModuleRegistry;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'marketing-audience-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  await loadChurnFixture(store);
  const scores = [['u1', 0.1], ['u2', 0.7], ['u3', 0.8], ['u4', 0.2], ['u5', 0.9], ['u6', 0.6]] as const;
  await store.replaceTable('churn_scores', { user_id: 'VARCHAR', probability: 'DOUBLE' }, scores.map(([user_id, probability]) => ({ user_id, probability })));
  registry = new ModuleRegistry();
  registry.register(createMarketingModule({ store, now: () => new Date('2025-03-02T08:00:00Z') }));
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<R = Record<string, any>>(action: string, params: Record<string, unknown>): Promise<R> {
  const response = await registry.execute({ module: 'marketing', action, params }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger() });
  return response.result as R;
}
const fieldOf = (field: string) => ({ details: expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ field })]) }) });
const goal = 'win back users at risk of churning';

describe('marketing.segment-audience', () => {
  it('splits the audience by ordered rules and stores one membership per user', async () => {
    const r = await call('segment-audience', { goal });
    // Active quartiles: recency (0,0,1,10) → 1 day; sessions (1,2,3,4) → 1. u5, u6 are dormant; u2 had a price rise,
    // u3 a competitor offer; u1 and u4 are neither lapsing (0 d < 1) nor low-usage (4, 2 > 1) and pay.
    expect(r).toMatchObject({ audience: 6, asOf: '2025-03-01T12:00:00.000Z', lookbackDays: 30, thresholds: { lapsingRecencyDays: 1, lowUsageSessions: 1 } });
    expect(r.segmentationId).toMatch(/^seg_[0-9a-f-]{36}$/);
    expect(r.segments).toEqual([
      // u6 has no activity at all: its recency comes from days_since_last_active (120).
      { name: 'dormant', rule: 'no activity in the last 30 days', size: 2, share: 0.3333, means: { recencyDays: 82.5, sessions: 0, minutes: 0, priceIncreasedShare: 0.5, competitorOfferShare: 0.5 } },
      { name: 'price-raised', rule: expect.stringContaining('price_increased'), size: 1, share: 0.1667, means: { recencyDays: 1, sessions: 3, minutes: 90, priceIncreasedShare: 1, competitorOfferShare: 0 } },
      { name: 'competitor-offer', rule: expect.stringContaining('competitor_offer'), size: 1, share: 0.1667, means: { recencyDays: 10, sessions: 1, minutes: 10, priceIncreasedShare: 0, competitorOfferShare: 1 } },
      { name: 'paid-engaged', rule: 'everyone else: active paying users', size: 2, share: 0.3333, means: { recencyDays: 0, sessions: 3, minutes: 130, priceIncreasedShare: 0, competitorOfferShare: 0 } },
    ]);
    const members = await store.all('SELECT user_id, segment, recency_days FROM jarvis.segment_members WHERE segmentation_id = $1 ORDER BY user_id', [r.segmentationId]);
    expect(members).toEqual([
      { user_id: 'u1', segment: 'paid-engaged', recency_days: 0 },
      { user_id: 'u2', segment: 'price-raised', recency_days: 1 },
      { user_id: 'u3', segment: 'competitor-offer', recency_days: 10 },
      { user_id: 'u4', segment: 'paid-engaged', recency_days: 0 },
      { user_id: 'u5', segment: 'dormant', recency_days: 45 },
      { user_id: 'u6', segment: 'dormant', recency_days: 120 },
    ]);
  });

  it('merges the smallest cohort into its smaller neighbour until maxSegments remain', async () => {
    const three = await call('segment-audience', { goal, maxSegments: 3 });
    expect(three.segments.map((s: any) => [s.name, s.size])).toEqual([['dormant', 2], ['price-raised+competitor-offer', 2], ['paid-engaged', 2]]);
    expect(three.segments[1]).toMatchObject({ rule: expect.stringMatching(/price_increased.* OR .*competitor_offer/), means: { recencyDays: 5.5, sessions: 2, minutes: 50, priceIncreasedShare: 0.5, competitorOfferShare: 0.5 } });
    const one = await call('segment-audience', { goal, maxSegments: 1 });
    expect(one.segments).toEqual([expect.objectContaining({ name: 'dormant+price-raised+competitor-offer+paid-engaged', size: 6, share: 1 })]);
  });

  it('keeps only users at or above minProbability and reports their mean churn probability', async () => {
    const r = await call('segment-audience', { goal, scoresDataset: 'churn_scores', minProbability: 0.5 });
    expect(r.audience).toBe(4);
    expect(r.segments.map((s: any) => [s.name, s.size, s.means.churnProbability])).toEqual([['dormant', 2, 0.75], ['price-raised', 1, 0.7], ['competitor-offer', 1, 0.8]]);
    const [row] = await store.all('SELECT audience, scores_dataset, min_probability FROM jarvis.segmentations WHERE id = $1', [r.segmentationId]);
    expect(row).toEqual({ audience: 4, scores_dataset: 'churn_scores', min_probability: 0.5 });
  });

  it('refuses bad input naming the field, writing nothing', async () => {
    const before = await store.all('SELECT count(*) AS n FROM jarvis.segmentations');
    await expect(call('segment-audience', { goal, scoresDataset: 'churn_scores', minProbability: 0.95 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.minProbability') });
    await expect(call('segment-audience', { goal, minProbability: 0.5 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.minProbability') });
    await expect(call('segment-audience', { goal, minProbability: 1.5, scoresDataset: 'churn_scores' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.minProbability') });
    await expect(call('segment-audience', { goal, maxSegments: 21 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.maxSegments') });
    await expect(call('segment-audience', { goal: '  ' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.goal') });
    await expect(call('segment-audience', { goal, scoresDataset: 'churn_users' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.scoresDataset') });
    await expect(call('segment-audience', { goal, usersDataset: 'missing_users' })).rejects.toMatchObject({ status: 404, details: { field: 'params.usersDataset' } });
    expect(await store.all('SELECT count(*) AS n FROM jarvis.segmentations')).toEqual(before);
  });
});

describe('marketing.send-times', () => {
  const all = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];

  it('picks each user’s hour from their opens, else sessions, else the audience’s', async () => {
    const r = await call('send-times', { userIds: all });
    // Opens: u1 19,19,19 · u2 13,13 (too few) · u4 7,7,7 → global e-mail hours tie 7 and 19 (3 each) → 7.
    expect(r).toMatchObject({ users: 6, global: { hourUtc: 7, source: 'email_open', events: 8 }, sources: { email_open: 2, session: 1, fallback: 3 }, fallbackUsers: 3 });
    expect(r.distribution).toEqual([{ hourUtc: 7, users: 4 }, { hourUtc: 14, users: 1 }, { hourUtc: 19, users: 1 }]);
    expect(r.perUser).toEqual([
      { userId: 'u1', hourUtc: 19, hourLocal: 20, source: 'email_open', events: 3 },
      { userId: 'u2', hourUtc: 14, hourLocal: 9, source: 'session', events: 3 },
      { userId: 'u3', hourUtc: 7, hourLocal: 7, source: 'fallback', events: 0 },
      { userId: 'u4', hourUtc: 7, hourLocal: 16, source: 'email_open', events: 3 },
      { userId: 'u5', hourUtc: 7, hourLocal: 23, source: 'fallback', events: 0 },
      { userId: 'u6', hourUtc: 7, hourLocal: 9, source: 'fallback', events: 0 },
    ]);
  });

  it('smooths over neighbouring hours: 12, 12, 14 and 22 centre on 13', () => {
    const counts = new Array<number>(24).fill(0);
    counts[12] = 2;
    counts[14] = 1;
    counts[22] = 1;
    // Laplace: (c + 1) / 28. Window at 13: (3 + 1 + 2) / 28 beats 12's (1 + 3 + 1) / 28.
    expect(bestHour(counts)).toBe(13);
    expect(smoothedHistogram(counts).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(smoothedHistogram(counts)[0]).toBeCloseTo(1 / 28, 12);
    // Equal windows: the busier hour itself, not the earlier neighbour whose window also holds it.
    counts.fill(0);
    counts[19] = 3;
    expect(bestHour(counts)).toBe(19);
  });

  it('falls back to the audience hour for users with too little history in a short window', async () => {
    // Two days back: opens u1 19, 19 · u2 13 · u4 7; nobody has three events of one kind.
    const r = await call('send-times', { userIds: all, lookbackDays: 2 });
    expect(r).toMatchObject({ global: { hourUtc: 19, source: 'email_open', events: 4 }, sources: { email_open: 0, session: 0, fallback: 6 } });
    expect(r.distribution).toEqual([{ hourUtc: 19, users: 6 }]);
  });

  it('takes a segmentation’s members and answers null local hours for unknown users', async () => {
    const seg = await call('segment-audience', { goal });
    const r = await call('send-times', { segmentationId: seg.segmentationId });
    expect(r.perUser.map((u: any) => [u.userId, u.hourUtc])).toEqual([['u1', 19], ['u2', 14], ['u3', 7], ['u4', 7], ['u5', 7], ['u6', 7]]);
    const unknown = await call('send-times', { userIds: ['zz9'] });
    expect(unknown.perUser).toEqual([{ userId: 'zz9', hourUtc: 7, hourLocal: null, source: 'fallback', events: 0 }]);
  });

  it('refuses bad input naming the field', async () => {
    await expect(call('send-times', {})).rejects.toMatchObject({ status: 400, ...fieldOf('params.userIds') });
    await expect(call('send-times', { userIds: ['u1'], segmentationId: 'seg_00000000-0000-0000-0000-000000000000' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.segmentationId') });
    await expect(call('send-times', { userIds: ['a,b'] })).rejects.toMatchObject({ status: 400, ...fieldOf('params.userIds.0') });
    await expect(call('send-times', { userIds: Array.from({ length: 10_001 }, (_, i) => `u${i}`) })).rejects.toMatchObject({ status: 400, ...fieldOf('params.userIds') });
    await expect(call('send-times', { segmentationId: 'seg_00000000-0000-0000-0000-000000000000' })).rejects.toMatchObject({ status: 404, details: { field: 'params.segmentationId' } });
    await expect(call('send-times', { userIds: ['u1'], lookbackDays: 400 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.lookbackDays') });
  });
});

describe('marketing.content-calendar', () => {
  it('places posts on spread days at the most active hours, staggered per channel', async () => {
    const r = await call('content-calendar', { goal, channels: ['email', 'instagram'], weeks: 2 });
    // Events per UTC hour: 12 → 5, then 7, 14, 19 → 3 each (earlier hour first), 13 → 2.
    expect(r.activeHoursUtc).toEqual([
      { hourUtc: 12, events: 5, share: 0.2381 }, { hourUtc: 7, events: 3, share: 0.1429 }, { hourUtc: 14, events: 3, share: 0.1429 },
      { hourUtc: 19, events: 3, share: 0.1429 }, { hourUtc: 13, events: 2, share: 0.0952 },
    ]);
    expect(r.startDate).toBe('2025-03-03');
    expect(r.slots).toHaveLength(12);
    expect(r.slots.slice(0, 4).map((s: any) => [s.at, s.channel, s.week])).toEqual([
      ['2025-03-03T07:00:00.000Z', 'instagram', 1], ['2025-03-03T12:00:00.000Z', 'email', 1],
      ['2025-03-05T07:00:00.000Z', 'instagram', 1], ['2025-03-05T12:00:00.000Z', 'email', 1],
    ]);
    expect([...new Set(r.slots.map((s: any) => s.date))]).toEqual(['2025-03-03', '2025-03-05', '2025-03-07', '2025-03-10', '2025-03-12', '2025-03-14']);
    expect(r.slots.every((s: any) => s.theme === null && /^slot_[0-9a-f]{16}$/.test(s.slotId))).toBe(true);
    expect(new Set(r.slots.map((s: any) => s.slotId)).size).toBe(12);
    expect(await call('content-calendar', { goal, channels: ['email', 'instagram'], weeks: 2 })).toEqual(r);
  });

  it('gives several posts a day distinct hours', async () => {
    const r = await call('content-calendar', { goal, channels: ['email'], weeks: 1, postsPerWeek: 14, startDate: '2025-04-07' });
    expect(r.slots.slice(0, 3).map((s: any) => s.at)).toEqual(['2025-04-07T07:00:00.000Z', '2025-04-07T12:00:00.000Z', '2025-04-08T07:00:00.000Z']);
    expect(r.slots).toHaveLength(14);
  });

  it('refuses bad input naming the field', async () => {
    await expect(call('content-calendar', { goal, channels: [] })).rejects.toMatchObject({ status: 400, ...fieldOf('params.channels') });
    await expect(call('content-calendar', { goal, channels: ['email', 'email'] })).rejects.toMatchObject({ status: 400, ...fieldOf('params.channels') });
    await expect(call('content-calendar', { goal, channels: ['email'], weeks: 13 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.weeks') });
    await expect(call('content-calendar', { goal, channels: ['email'], postsPerWeek: 22 })).rejects.toMatchObject({ status: 400, ...fieldOf('params.postsPerWeek') });
    await expect(call('content-calendar', { goal, channels: ['email'], startDate: '2025-02-30' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.startDate') });
    await expect(call('content-calendar', { goal, channels: ['email'], activityDataset: 'churn_scores' })).rejects.toMatchObject({ status: 400, ...fieldOf('params.activityDataset') });
    await expect(call('content-calendar', { goal, channels: ['email'], activityDataset: 'nope' })).rejects.toMatchObject({ status: 404, details: { field: 'params.activityDataset' } });
  });
});
