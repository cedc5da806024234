import { fieldError } from '../../../common/validation';
import { ident, type AnalyticsStore } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { ACTIVITY_COLUMNS, USER_COLUMNS, datasetColumns, daysBetweenSql, latestActivity, readingDatasets, requireDataset } from '../marketing';
import { scoreUsersParams, type ScoreUsersParams } from './engagement-schemas';

export interface EngagementActionDeps {
  store: AnalyticsStore;
  now: () => Date;
  tables: () => Promise<void>;
}

/**
 * RFM-style weights. Recency leads because a user's last visit is the strongest single sign
 * of churn in subscription products; frequency before duration because a few long binges
 * keep a habit alive less than regular visits do.
 */
export const SCORE_WEIGHTS = { recency: 0.4, frequency: 0.35, duration: 0.25 } as const;
/** Lower bounds of the tiers; any user active in the window is at least 'low'. */
export const TIER_BOUNDS = { high: 70, medium: 40 } as const;
const SCORE_COLUMNS = ['user_id', 'recency_days', 'sessions', 'minutes', 'score', 'tier'];

/** The users dataset to include: the given one, else churn_users when it exists, else none. */
async function usersSource(store: AnalyticsStore, p: ScoreUsersParams): Promise<string | undefined> {
  if (p.usersDataset) {
    await requireDataset(store, p.usersDataset, 'params.usersDataset', USER_COLUMNS);
    return p.usersDataset;
  }
  const fallback = await datasetColumns(store, 'churn_users');
  return fallback?.has('user_id') && p.activityDataset !== 'churn_users' ? 'churn_users' : undefined;
}

/** Refuses to overwrite an input, or a dataset that is not an earlier score table. */
async function checkTarget(store: AnalyticsStore, p: ScoreUsersParams, users: string | undefined): Promise<void> {
  if (p.saveAs === p.activityDataset || p.saveAs === users) throw fieldError('params.saveAs', `must not be an input dataset ("${p.saveAs}")`);
  const existing = await datasetColumns(store, p.saveAs);
  if (existing && (existing.size !== SCORE_COLUMNS.length || SCORE_COLUMNS.some((c) => !existing.has(c)))) {
    throw fieldError('params.saveAs', `dataset "${p.saveAs}" exists and is not a score table; choose another name`);
  }
}

/**
 * Each component is a percentile rank (cume_dist) among the users active in the window, so
 * the best user on a component gets 1 and every active user more than 0; a user with no
 * sessions (or no minutes) gets 0 on that component rather than the share of users tied at 0.
 */
function scoreSql(p: ScoreUsersParams, users: string | undefined): string {
  const w = SCORE_WEIGHTS;
  return `CREATE OR REPLACE TABLE main.${ident(p.saveAs)} AS
    WITH act AS (
      SELECT CAST(user_id AS VARCHAR) AS user_id, CAST(ts AS TIMESTAMP) AS ts, CAST(event AS VARCHAR) AS event,
             coalesce(CAST(minutes AS DOUBLE), 0) AS minutes
      FROM main.${ident(p.activityDataset)} WHERE CAST(ts AS TIMESTAMP) <= CAST($1 AS TIMESTAMP) AND user_id IS NOT NULL),
    everyone AS (SELECT user_id FROM act ${users ? `UNION SELECT CAST(user_id AS VARCHAR) FROM main.${ident(users)} WHERE user_id IS NOT NULL` : ''}),
    seen AS (SELECT user_id, ${daysBetweenSql('max(ts)', 'CAST($1 AS TIMESTAMP)')} AS recency_days FROM act GROUP BY 1),
    win AS (SELECT user_id, count(*) FILTER (WHERE event = 'session') AS sessions, sum(minutes) AS minutes
            FROM act WHERE ts > CAST($1 AS TIMESTAMP) - to_days($2) GROUP BY 1),
    ranked AS (
      SELECT win.user_id, cume_dist() OVER (ORDER BY seen.recency_days DESC) AS r,
        CASE WHEN win.sessions > 0 THEN cume_dist() OVER (ORDER BY win.sessions) ELSE 0 END AS f,
        CASE WHEN win.minutes > 0 THEN cume_dist() OVER (ORDER BY win.minutes) ELSE 0 END AS d
      FROM win JOIN seen USING (user_id)),
    scored AS (
      SELECT e.user_id, seen.recency_days, CAST(coalesce(win.sessions, 0) AS INTEGER) AS sessions,
        round(coalesce(win.minutes, 0), 2) AS minutes,
        round(coalesce(100 * (${w.recency} * r.r + ${w.frequency} * r.f + ${w.duration} * r.d), 0), 1) AS score,
        win.user_id IS NOT NULL AS active
      FROM everyone e LEFT JOIN seen USING (user_id) LEFT JOIN win USING (user_id) LEFT JOIN ranked r USING (user_id))
    SELECT user_id, recency_days, sessions, minutes, score,
      CASE WHEN NOT active THEN 'dormant' WHEN score >= ${TIER_BOUNDS.high} THEN 'high' WHEN score >= ${TIER_BOUNDS.medium} THEN 'medium' ELSE 'low' END AS tier
    FROM scored ORDER BY user_id`;
}

async function summarise(store: AnalyticsStore, table: string) {
  const t = `main.${ident(table)}`;
  const [stats] = await store.all<{ users: number; mean: number | null; p50: number | null }>(
    `SELECT count(*) AS users, round(avg(score), 2) AS mean, round(quantile_cont(score, 0.5), 2) AS p50 FROM ${t}`,
  );
  const tiers = await store.all<{ tier: string; n: number }>(`SELECT tier, count(*) AS n FROM ${t} GROUP BY 1`);
  const pick = (order: string) =>
    store.all<{ user_id: string; score: number; tier: string }>(`SELECT user_id, score, tier FROM ${t} ORDER BY score ${order}, user_id LIMIT 5`);
  const distribution = { high: 0, medium: 0, low: 0, dormant: 0 };
  for (const row of tiers) distribution[row.tier as keyof typeof distribution] = row.n;
  return { users: stats?.users ?? 0, distribution, mean: stats?.mean ?? null, p50: stats?.p50 ?? null, top: await pick('DESC'), bottom: await pick('ASC') };
}

/** `score-users`: an engagement score 0–100 per user from recency, frequency and duration, saved as a dataset. */
export function createScoreUsersAction(deps: EngagementActionDeps) {
  return defineAction({
    description: 'Score every user 0–100 for engagement (percentile ranks of recency, sessions and minutes in the window) and save the scores as a dataset',
    params: scoreUsersParams,
    handler(p) {
      return readingDatasets(['params.activityDataset', 'params.usersDataset'], async () => {
        await requireDataset(deps.store, p.activityDataset, 'params.activityDataset', ACTIVITY_COLUMNS);
        const users = await usersSource(deps.store, p);
        await checkTarget(deps.store, p, users);
        const asOf = p.asOf ? new Date(p.asOf) : await latestActivity(deps.store, p.activityDataset, 'params.activityDataset');
        await deps.store.run(scoreSql(p, users), [asOf, p.lookbackDays]);
        return {
          dataset: p.saveAs,
          usersDataset: users ?? null,
          asOf: asOf.toISOString(),
          lookbackDays: p.lookbackDays,
          weights: SCORE_WEIGHTS,
          tiers: { high: `score ≥ ${TIER_BOUNDS.high}`, medium: `${TIER_BOUNDS.medium} ≤ score < ${TIER_BOUNDS.high}`, low: `active in the window, score < ${TIER_BOUNDS.medium}`, dormant: 'no activity in the window (score 0)' },
          ...(await summarise(deps.store, p.saveAs)),
        };
      });
    },
  });
}
