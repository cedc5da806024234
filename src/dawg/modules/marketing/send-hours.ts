import { fieldError } from '../../../common/validation';
import { ident, type AnalyticsStore, type SqlParam } from '../analytics/analytics-store';

/*
 * Each user's best send hour from when they actually read: the hours of their email_open
 * events, or of their sessions when they opened fewer than MIN_EVENTS e-mails, or the whole
 * audience's best hour when they have too little of either. Histograms are Laplace-smoothed
 * (add one per hour) so a handful of events gives an honestly flat distribution, and the
 * chosen hour is the centre of the densest three-hour window (circular), so opens at 19:10
 * and 20:40 pick 19 or 20 instead of whichever single hour happened to get one more.
 */

export const MIN_EVENTS = 3;
export type HourSource = 'email_open' | 'session' | 'fallback';

export interface UserSendHour {
  userId: string;
  hourUtc: number;
  /** hourUtc shifted by the user's utc_offset; null when the users dataset has none for them. */
  hourLocal: number | null;
  source: HourSource;
  /** Events the hour was chosen from (0 for the fallback). */
  events: number;
}

export interface SendHoursResult {
  global: { hourUtc: number; source: 'email_open' | 'session'; events: number };
  users: UserSendHour[];
}

/** Which users: an explicit list, or a stored segmentation's members. */
export type Targets = { userIds: readonly string[] } | { segmentationId: string };

export interface SendHoursQuery {
  activityDataset: string;
  usersDataset: string;
  /** Whether the users dataset has utc_offset. */
  hasOffset: boolean;
  lookbackDays: number;
  asOf: Date;
  targets: Targets;
}

/** Laplace (add-one) smoothed shares of 24 hourly counts. */
export function smoothedHistogram(counts: readonly number[]): number[] {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (c + 1) / (n + 24));
}

/**
 * Centre of the densest circular three-hour window of the smoothed histogram. On equal
 * windows the busier hour itself wins (opens all at 19 give 19, not 18 whose window also
 * holds them), then the earlier hour.
 */
export function bestHour(counts: readonly number[]): number {
  const p = smoothedHistogram(counts);
  const mass = (h: number) => p[(h + 23) % 24]! + p[h]! + p[(h + 1) % 24]!;
  const EPS = 1e-12;
  let best = 0;
  for (let h = 1; h < 24; h++) {
    const d = mass(h) - mass(best);
    if (d > EPS || (Math.abs(d) <= EPS && p[h]! > p[best]! + EPS)) best = h;
  }
  return best;
}

function targetsSql(targets: Targets, next: number): { sql: string; params: SqlParam[] } {
  // User ids passed the schema's pattern (no commas, brackets or quotes), so the list literal is exact.
  if ('userIds' in targets) return { sql: `SELECT DISTINCT unnest(CAST($${next} AS VARCHAR[])) AS user_id`, params: [`[${targets.userIds.join(', ')}]`] };
  return { sql: `SELECT user_id FROM jarvis.segment_members WHERE segmentation_id = $${next}`, params: [targets.segmentationId] };
}

type Histograms = Map<string, { email_open: number[]; session: number[] }>;

async function userHistograms(store: Pick<AnalyticsStore, 'all'>, q: SendHoursQuery) {
  const t = targetsSql(q.targets, 3);
  const act = `SELECT CAST(user_id AS VARCHAR) AS user_id, CAST(ts AS TIMESTAMP) AS ts, CAST(event AS VARCHAR) AS event
    FROM main.${ident(q.activityDataset)}
    WHERE CAST(ts AS TIMESTAMP) > CAST($1 AS TIMESTAMP) - to_days($2) AND CAST(ts AS TIMESTAMP) <= CAST($1 AS TIMESTAMP) AND CAST(event AS VARCHAR) IN ('email_open', 'session')`;
  const counts = await store.all<{ user_id: string | null; event: 'email_open' | 'session'; h: number; n: number }>(
    `WITH t AS (${t.sql}), act AS (${act})
     SELECT user_id, event, hour(ts) AS h, count(*) AS n FROM act WHERE user_id IN (SELECT user_id FROM t) GROUP BY ALL
     UNION ALL SELECT NULL, event, hour(ts), count(*) FROM act GROUP BY ALL`,
    [q.asOf, q.lookbackDays, ...t.params],
  );
  const offset = q.hasOffset ? 'CAST(u.utc_offset AS INTEGER)' : 'CAST(NULL AS INTEGER)';
  const t1 = targetsSql(q.targets, 1);
  const members = await store.all<{ user_id: string; utc_offset: number | null }>(
    `WITH t AS (${t1.sql})
     SELECT t.user_id, any_value(${offset}) AS utc_offset FROM t LEFT JOIN main.${ident(q.usersDataset)} u ON CAST(u.user_id AS VARCHAR) = t.user_id
     GROUP BY t.user_id ORDER BY t.user_id`,
    t1.params,
  );
  const empty = () => ({ email_open: new Array<number>(24).fill(0), session: new Array<number>(24).fill(0) });
  const histograms: Histograms = new Map();
  const global = empty();
  for (const c of counts) {
    const target = c.user_id === null ? global : (histograms.get(c.user_id) ?? histograms.set(c.user_id, empty()).get(c.user_id)!);
    target[c.event][c.h] = c.n;
  }
  return { members, histograms, global };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export async function computeSendHours(store: Pick<AnalyticsStore, 'all'>, q: SendHoursQuery, field: string): Promise<SendHoursResult> {
  const { members, histograms, global } = await userHistograms(store, q);
  const globalSource = sum(global.email_open) >= MIN_EVENTS ? 'email_open' : 'session';
  const globalEvents = sum(global[globalSource]);
  if (globalEvents === 0) throw fieldError(field, `has no email_open or session events in the ${q.lookbackDays} days before ${q.asOf.toISOString()}`);
  const globalHour = bestHour(global[globalSource]);
  const users = members.map((m): UserSendHour => {
    const h = histograms.get(m.user_id);
    const source: HourSource = h && sum(h.email_open) >= MIN_EVENTS ? 'email_open' : h && sum(h.session) >= MIN_EVENTS ? 'session' : 'fallback';
    const hourUtc = source === 'fallback' ? globalHour : bestHour(h![source]);
    const events = source === 'fallback' ? 0 : sum(h![source]);
    const hourLocal = m.utc_offset === null ? null : (((hourUtc + m.utc_offset) % 24) + 24) % 24;
    return { userId: m.user_id, hourUtc, hourLocal, source, events };
  });
  return { global: { hourUtc: globalHour, source: globalSource, events: globalEvents }, users };
}
