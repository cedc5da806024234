import { fieldError } from '../../../common/validation';
import { ident } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { readingDatasets, requireDataset } from '../marketing';
import { cohortsParams, type CohortsParams } from './engagement-schemas';
import type { EngagementActionDeps } from './score-users.action';

const STEP = { week: 'to_weeks', month: 'to_months' } as const;

function offsetSql(period: CohortsParams['period'], from: string, to: string): string {
  return period === 'month' ? `date_diff('month', ${from}, ${to})` : `(date_diff('day', ${from}, ${to}) // 7)`;
}

/**
 * The retention triangle in one statement: the latest `periods` signup cohorts × offsets
 * 0…periods−1, each cell the share of the cohort with any activity in that period. A cell
 * whose period began before the activity data does, or after it ends, is NULL: not observed
 * is not the same as not retained.
 */
function cohortsSql(p: CohortsParams): string {
  const unit = `'${p.period}'`;
  const step = STEP[p.period];
  return `WITH act AS (SELECT CAST(user_id AS VARCHAR) AS user_id, CAST(ts AS TIMESTAMP) AS ts FROM main.${ident(p.activityDataset)} WHERE ts IS NOT NULL),
    bounds AS (SELECT min(ts) AS t0, max(ts) AS t1, CAST(date_trunc(${unit}, max(ts)) AS DATE) AS last_cohort FROM act),
    users AS (
      SELECT DISTINCT ON (CAST(user_id AS VARCHAR)) CAST(user_id AS VARCHAR) AS user_id,
             CAST(date_trunc(${unit}, CAST(signup_date AS DATE)) AS DATE) AS cohort
      FROM main.${ident(p.usersDataset)} WHERE signup_date IS NOT NULL ORDER BY 1),
    picked AS (SELECT u.* FROM users u, bounds b WHERE u.cohort > b.last_cohort - ${step}($1) AND u.cohort <= b.last_cohort),
    sizes AS (SELECT cohort, count(*) AS size FROM picked GROUP BY 1),
    active AS (
      SELECT p.cohort, ${offsetSql(p.period, 'p.cohort', `CAST(date_trunc(${unit}, a.ts) AS DATE)`)} AS k, count(DISTINCT a.user_id) AS n
      FROM act a JOIN picked p USING (user_id) GROUP BY 1, 2),
    grid AS (SELECT s.cohort, s.size, r.k FROM sizes s CROSS JOIN range(0, $1) r(k))
    SELECT strftime(g.cohort, '%Y-%m-%d') AS cohort, g.size, g.k,
      CASE WHEN g.cohort + ${step}(g.k) >= CAST(b.t0 AS DATE) AND g.cohort + ${step}(g.k) <= b.t1 THEN coalesce(a.n, 0) END AS active
    FROM grid g CROSS JOIN bounds b LEFT JOIN active a ON a.cohort = g.cohort AND a.k = g.k
    ORDER BY g.cohort, g.k`;
}

/** `cohorts`: signup-cohort retention computed in SQL. */
export function createCohortsAction(deps: EngagementActionDeps) {
  return defineAction({
    description: 'Signup-cohort retention matrix: share of each of the latest cohorts active in each period after signup',
    params: cohortsParams,
    handler(p) {
      return readingDatasets(['params.activityDataset', 'params.usersDataset'], async () => {
        await requireDataset(deps.store, p.activityDataset, 'params.activityDataset', ['user_id', 'ts']);
        await requireDataset(deps.store, p.usersDataset, 'params.usersDataset', ['user_id', 'signup_date']);
        const [bounds] = await deps.store.all<{ t0: string | null; t1: string | null; current: string | null }>(
          `SELECT min(CAST(ts AS TIMESTAMP)) AS t0, max(CAST(ts AS TIMESTAMP)) AS t1, strftime(date_trunc('${p.period}', max(CAST(ts AS TIMESTAMP))), '%Y-%m-%d') AS current
           FROM main.${ident(p.activityDataset)}`,
        );
        if (!bounds?.t0) throw fieldError('params.activityDataset', `dataset "${p.activityDataset}" has no activity rows`);
        const cells = await deps.store.all<{ cohort: string; size: number; k: number; active: number | null }>(cohortsSql(p), [p.periods]);
        const byCohort = new Map<string, { cohort: string; size: number; active: (number | null)[]; retention: (number | null)[] }>();
        for (const c of cells) {
          const row = byCohort.get(c.cohort) ?? byCohort.set(c.cohort, { cohort: c.cohort, size: c.size, active: [], retention: [] }).get(c.cohort)!;
          row.active[c.k] = c.active;
          row.retention[c.k] = c.active === null ? null : Math.round((c.active / c.size) * 10_000) / 10_000;
        }
        return {
          period: p.period,
          periods: p.periods,
          offsets: Array.from({ length: p.periods }, (_, k) => k),
          coverage: { from: bounds.t0, to: bounds.t1 },
          /** Cells of this period are observed only up to the data's end. */
          partialPeriodStart: bounds.current,
          cohorts: [...byCohort.values()],
          note: 'Offset 0 is the signup period. null: the period lies outside the activity data (not observed, not zero).',
        };
      });
    },
  });
}
