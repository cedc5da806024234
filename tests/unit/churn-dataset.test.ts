import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { AnalyticsCompute } from '../../src/dawg/modules/analytics/compute';
import {
  churnActivityColumns,
  churnMonthlyColumns,
  churnUsersColumns,
  createGenerateDatasetAction,
  generateChurnDataset,
  type ChurnDataset,
} from '../../src/dawg/modules/analytics/synthetic';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

const DAY = 86_400_000;
const AS_OF = '2026-11-01';
const asOfMs = Date.parse(`${AS_OF}T00:00:00Z`);

let data: ChurnDataset;
beforeAll(() => {
  data = generateChurnDataset({ seed: 42, users: 5_000, asOf: AS_OF });
});

describe('generateChurnDataset', () => {
  it('rows carry exactly the contract columns, with valid values', () => {
    expect(Object.keys(data.users[0]!).sort()).toEqual(Object.keys(churnUsersColumns).sort());
    expect(Object.keys(data.activity[0]!).sort()).toEqual(Object.keys(churnActivityColumns).sort());
    expect(Object.keys(data.monthly[0]!).sort()).toEqual(Object.keys(churnMonthlyColumns).sort());
    expect(data.users[0]!.user_id).toBe('u00001');
    expect(data.users[4_999]!).toMatchObject({ user_id: 'u05000', email: 'u05000@example.invalid' });
    // Collected, not asserted per row: 5,000 expect() calls cost seconds.
    const bad = data.users.filter(
      (u) =>
        u.utc_offset < -8 ||
        u.utc_offset > 9 ||
        Date.parse(`${u.signup_date}T00:00:00Z`) !== asOfMs - u.tenure_days * DAY ||
        (u.plan === 'free' ? u.monthly_price !== 0 || u.price_increased : u.monthly_price < 8) ||
        u.days_since_last_active > u.tenure_days,
    );
    expect(bad).toEqual([]);
    expect(new Set(data.users.map((u) => u.plan))).toEqual(new Set(['free', 'basic', 'premium']));
    expect(new Set(data.activity.map((a) => a.event))).toEqual(new Set(['session', 'stream', 'share', 'email_open', 'email_click']));
  });

  it('keeps the default size within bounds and the churn rate in 3–6 %', () => {
    expect(data.activity.length).toBeLessThanOrEqual(300_000);
    expect(data.activity.length).toBeGreaterThan(100_000);
    const rate = data.users.filter((u) => u.churned).length / data.users.length;
    expect(rate).toBeGreaterThan(0.03);
    expect(rate).toBeLessThan(0.06);
    expect(data.truth.nextMonth.churnRate).toBe(rate);
    expect(data.truth.nextMonth.month).toBe('2026-11-01');
  });

  it('derives sessions_30d, minutes_30d and days_since_last_active from the activity rows', () => {
    const byUser = new Map<string, { sessions30: number; minutes30: number; last: number }>();
    let outside = 0;
    let minutesOnOtherEvents = 0;
    for (const a of data.activity) {
      const ts = Date.parse(a.ts);
      if (ts >= asOfMs || ts < asOfMs - 90 * DAY) outside++;
      if (a.event !== 'session') {
        if (a.minutes !== 0) minutesOnOtherEvents++;
        continue;
      }
      const s = byUser.get(a.user_id) ?? { sessions30: 0, minutes30: 0, last: -Infinity };
      if (ts >= asOfMs - 30 * DAY) {
        s.sessions30++;
        s.minutes30 += a.minutes;
      }
      s.last = Math.max(s.last, ts);
      byUser.set(a.user_id, s);
    }
    expect([outside, minutesOnOtherEvents]).toEqual([0, 0]);
    const mismatched = data.users.filter((u) => {
      const s = byUser.get(u.user_id);
      const lastOk = s ? u.days_since_last_active === Math.floor((asOfMs - s.last) / DAY) : u.days_since_last_active >= Math.min(90, u.tenure_days);
      return u.sessions_30d !== (s?.sessions30 ?? 0) || Math.abs(u.minutes_30d - (s?.minutes30 ?? 0)) > 1e-6 || !lastOk;
    });
    expect(mismatched).toEqual([]);
    expect(data.users.filter((u) => u.sessions_30d === 0).length).toBeGreaterThan(100);
  });

  it('puts each user\'s sessions at their own local hours (send-time signal)', () => {
    const offset = new Map(data.users.map((u) => [u.user_id, u.utc_offset]));
    const hours = new Map<string, number[]>();
    for (const a of data.activity) {
      if (a.event !== 'session') continue;
      const local = (new Date(a.ts).getUTCHours() + offset.get(a.user_id)! + 24) % 24;
      hours.set(a.user_id, [...(hours.get(a.user_id) ?? []), local]);
    }
    // Share of a user's sessions in their busiest 3-hour local window: 3/24 = 0.125 if hours were random.
    const shares = [...hours.values()].filter((h) => h.length >= 10).map((h) => {
      const counts = new Array<number>(24).fill(0);
      for (const x of h) counts[x]!++;
      return Math.max(...counts.map((_, i) => counts[i]! + counts[(i + 1) % 24]! + counts[(i + 2) % 24]!)) / h.length;
    });
    expect(shares.length).toBeGreaterThan(1_000);
    expect(shares.reduce((a, b) => a + b, 0) / shares.length).toBeGreaterThan(0.6);
  });

  it('gives 36 consecutive months to asOf, with season and a last month tied to the users table', () => {
    const m = data.monthly;
    expect(m).toHaveLength(36);
    expect(m[0]!.month).toBe('2023-11-01');
    expect(m[35]!.month).toBe('2026-10-01');
    for (const row of m) {
      expect(row.churn_rate).toBe(row.churned_users / row.active_users);
      expect(row.churn_rate).toBeGreaterThan(0.02);
      expect(row.churn_rate).toBeLessThan(0.08);
    }
    const survivors = data.users.filter((u) => u.signup_date < '2026-10-01').length;
    expect(m[35]!.active_users - m[35]!.churned_users).toBe(survivors);
    // Trend: the user base grows; season: January churns more than November in every year.
    expect(m[35]!.active_users).toBeGreaterThan(m[0]!.active_users * 1.3);
    const rateOf = (month: string) => m.filter((r) => r.month.slice(5, 7) === month).map((r) => r.churn_rate);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rateOf('01'))).toBeGreaterThan(mean(rateOf('11')) + 0.008);
  });

  it('is identical for the same seed and differs for another', () => {
    const again = generateChurnDataset({ seed: 42, users: 300, asOf: AS_OF });
    const same = generateChurnDataset({ seed: 42, users: 300, asOf: AS_OF });
    const other = generateChurnDataset({ seed: 43, users: 300, asOf: AS_OF });
    expect(same).toEqual(again);
    expect(other.users).not.toEqual(again.users);
    expect(other.activity.length).not.toBe(again.activity.length);
    expect(other.monthly).not.toEqual(again.monthly);
  });
});

describe('analytics.generate-dataset', () => {
  let dir: string;
  let store: AnalyticsStore;
  let registry: ModuleRegistry;
  const compute = new AnalyticsCompute();
  const run = (params: Record<string, unknown>) =>
    registry.execute({ module: 'analytics', action: 'generate-dataset', params }, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger() }).then((r) => r.result as Record<string, unknown>);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'churn-'));
    store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
    registry = new ModuleRegistry();
    registry.register(defineModule({ name: 'analytics', description: 't', version: '0', actions: { 'generate-dataset': createGenerateDatasetAction(store, compute) } }));
  });
  afterAll(async () => {
    await compute.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the three tables with the contract types and answers their sizes', async () => {
    const r = await run({ kind: 'churn', users: 400, seed: 7 });
    const expected = generateChurnDataset({ seed: 7, users: 400, asOf: AS_OF });
    expect(r).toEqual({
      tables: [
        { name: 'churn_users', rows: 400 },
        { name: 'churn_activity', rows: expected.activity.length },
        { name: 'churn_monthly', rows: 36 },
      ],
      seed: 7,
      asOf: AS_OF,
    });
    for (const [table, columns] of [['churn_users', churnUsersColumns], ['churn_activity', churnActivityColumns], ['churn_monthly', churnMonthlyColumns]] as const) {
      const cols = await store.all<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
      );
      expect(Object.fromEntries(cols.map((c) => [c.column_name, c.data_type]))).toEqual(columns);
    }
    const [stored] = await store.all<Record<string, unknown>>("SELECT * FROM churn_users WHERE user_id = 'u00001'");
    expect(stored).toEqual({ ...expected.users[0], signup_date: `${expected.users[0]!.signup_date}T00:00:00.000Z` });
    const [sum] = await store.all<{ n: number }>('SELECT count(*) AS n FROM churn_activity WHERE ts >= ? AND ts < ?', ['2026-08-03 00:00:00', '2026-11-01 00:00:00']);
    expect(sum!.n).toBe(expected.activity.length);
    // The files the worker wrote for DuckDB are gone.
    expect(await readdir(path.join(dir, '.tmp'))).toEqual([]);
  });

  it('refuses to overwrite when replace is false, and bad parameters name their field', async () => {
    await expect(run({ kind: 'churn', users: 100, replace: false })).rejects.toMatchObject({ status: 409 });
    const other = await run({ kind: 'churn', users: 100, replace: false, prefix: 'churn_b' });
    expect((other.tables as { name: string }[]).map((t) => t.name)).toEqual(['churn_b_users', 'churn_b_activity', 'churn_b_monthly']);
    const field = async (params: Record<string, unknown>, name: string) =>
      expect(run(params)).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: name })] } });
    await field({ kind: 'churn', users: 50 }, 'params.users');
    await field({ kind: 'churn', asOf: '2026-02-30' }, 'params.asOf');
    await field({ kind: 'churn', prefix: 'Churn' }, 'params.prefix');
    await field({ kind: 'sales' }, 'params.kind');
    await field({ kind: 'churn', seed: 1.5 }, 'params.seed');
  });
});
