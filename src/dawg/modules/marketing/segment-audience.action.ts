import { randomUUID } from 'node:crypto';
import { fieldError } from '../../../common/validation';
import { ident, type AnalyticsStore } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { ACTIVITY_COLUMNS, SCORE_COLUMNS, USER_COLUMNS, daysBetweenSql, latestActivity, readingDatasets, requireDataset } from './datasets';
import type { MarketingActionDeps } from './action-deps';
import { segmentAudienceParams, type SegmentAudienceParams } from './marketing-schemas';
import { candidateSql, cohortMeans, mergeCohorts, type CandidateSums, type Cohort, type Thresholds } from './segment-rules';

type Tx = Pick<AnalyticsStore, 'all' | 'run'>;

/** A users column as SQL, or NULL when the dataset lacks it (its rule then matches nobody). */
function optionalColumn(columns: Set<string>, name: string, type: string): string {
  return columns.has(name) ? `CAST(u.${ident(name)} AS ${type})` : `CAST(NULL AS ${type})`;
}

/**
 * One row per audience member with the features the rules and means use. Recency counts
 * from any event; sessions count the window's session events and minutes add up the window's
 * minutes (only sessions carry any). A user never seen in the activity data takes the users
 * dataset's days_since_last_active when it has one.
 */
function featuresSql(p: SegmentAudienceParams, users: Set<string>): string {
  const scores = p.scoresDataset
    ? `JOIN (SELECT CAST(user_id AS VARCHAR) AS user_id, max(CAST(probability AS DOUBLE)) AS probability
             FROM main.${ident(p.scoresDataset)} GROUP BY 1) s ON s.user_id = CAST(u.user_id AS VARCHAR)
       ${p.minProbability === undefined ? '' : 'WHERE s.probability >= $3'}`
    : '';
  return `CREATE OR REPLACE TEMP TABLE seg_features AS
    WITH act AS (
      SELECT CAST(user_id AS VARCHAR) AS user_id, CAST(ts AS TIMESTAMP) AS ts, CAST(event AS VARCHAR) AS event, CAST(minutes AS DOUBLE) AS minutes
      FROM main.${ident(p.activityDataset)} WHERE CAST(ts AS TIMESTAMP) <= CAST($1 AS TIMESTAMP)),
    seen AS (SELECT user_id, max(ts) AS last_ts FROM act GROUP BY 1),
    recent AS (
      SELECT user_id, count(*) FILTER (WHERE event = 'session') AS sessions,
             coalesce(sum(coalesce(minutes, 0)), 0) AS minutes
      FROM act WHERE ts > CAST($1 AS TIMESTAMP) - to_days($2) GROUP BY 1),
    aud AS (
      SELECT DISTINCT ON (CAST(u.user_id AS VARCHAR)) CAST(u.user_id AS VARCHAR) AS user_id,
        ${optionalColumn(users, 'plan', 'VARCHAR')} AS plan,
        ${optionalColumn(users, 'price_increased', 'BOOLEAN')} AS price_increased,
        ${optionalColumn(users, 'competitor_offer', 'BOOLEAN')} AS competitor_offer,
        ${optionalColumn(users, 'days_since_last_active', 'INTEGER')} AS days_since_last_active,
        ${p.scoresDataset ? 's.probability' : 'CAST(NULL AS DOUBLE)'} AS probability
      FROM main.${ident(p.usersDataset)} u ${scores})
    SELECT a.user_id, a.plan, a.price_increased, a.competitor_offer, a.probability,
      coalesce(${daysBetweenSql('seen.last_ts', 'CAST($1 AS TIMESTAMP)')}, a.days_since_last_active) AS recency_days,
      coalesce(r.sessions, 0) AS sessions, coalesce(r.minutes, 0) AS minutes, r.user_id IS NOT NULL AS active
    FROM aud a LEFT JOIN seen USING (user_id) LEFT JOIN recent r USING (user_id)`;
}

async function checkInputs(store: AnalyticsStore, p: SegmentAudienceParams): Promise<Set<string>> {
  if (p.minProbability !== undefined && !p.scoresDataset) throw fieldError('params.minProbability', 'needs scoresDataset (a table with user_id and probability)');
  const users = await requireDataset(store, p.usersDataset, 'params.usersDataset', USER_COLUMNS);
  await requireDataset(store, p.activityDataset, 'params.activityDataset', ACTIVITY_COLUMNS);
  if (p.scoresDataset) await requireDataset(store, p.scoresDataset, 'params.scoresDataset', SCORE_COLUMNS);
  return users;
}

async function computeCohorts(tx: Tx, p: SegmentAudienceParams, users: Set<string>, asOf: Date) {
  await tx.run(featuresSql(p, users), [asOf, p.lookbackDays, ...(p.minProbability === undefined || !p.scoresDataset ? [] : [p.minProbability])]);
  const [q] = await tx.all<{ audience: number; recency: number | null; sessions: number | null }>(
    `SELECT count(*) AS audience, quantile_disc(recency_days, 0.75) FILTER (WHERE active) AS recency,
            quantile_disc(sessions, 0.25) FILTER (WHERE active) AS sessions FROM seg_features`,
  );
  if (!q || q.audience === 0) {
    throw p.minProbability === undefined
      ? fieldError(p.scoresDataset ? 'params.scoresDataset' : 'params.usersDataset', 'gives an empty audience (no users)')
      : fieldError('params.minProbability', `no scored user has a probability of ${p.minProbability} or more`);
  }
  const thresholds: Thresholds = { lapsingRecencyDays: q.recency, lowUsageSessions: q.sessions };
  await tx.run(`ALTER TABLE seg_features ADD COLUMN candidate INTEGER`);
  await tx.run(`UPDATE seg_features SET candidate = ${candidateSql(thresholds)}`);
  const sums = await tx.all<CandidateSums>(
    `SELECT candidate, count(*) AS size, coalesce(sum(recency_days), 0) AS recency_sum, count(recency_days) AS recency_n,
       sum(sessions) AS sessions_sum, sum(minutes) AS minutes_sum, count(*) FILTER (WHERE price_increased) AS price_raised,
       count(*) FILTER (WHERE competitor_offer) AS competitor, coalesce(sum(probability), 0) AS probability_sum, count(probability) AS probability_n
     FROM seg_features GROUP BY candidate`,
  );
  return { audience: q.audience, thresholds, cohorts: mergeCohorts(sums, p.maxSegments, thresholds, p.lookbackDays) };
}

type Segment = { name: string; rule: string; size: number; share: number; means: ReturnType<typeof cohortMeans> };

/** Membership rows (each candidate index mapped to its merged cohort's name), cohorts and the segmentation record. */
async function persist(tx: Tx, id: string, p: SegmentAudienceParams, cohorts: Cohort[], segments: Segment[], meta: { at: Date; asOf: Date; audience: number }) {
  const names = cohorts.flatMap((c) => c.candidates.map((k) => ({ k, name: c.name })));
  const mapping = names.map((n, i) => `WHEN ${n.k} THEN $${i + 2}`).join(' ');
  await tx.run(
    `INSERT INTO jarvis.segment_members SELECT $1, user_id, CASE candidate ${mapping} END, recency_days, probability FROM seg_features`,
    [id, ...names.map((n) => n.name)],
  );
  for (const [i, s] of segments.entries()) {
    await tx.run('INSERT INTO jarvis.segments VALUES ($1, $2, $3, $4, $5, $6)', [id, i, s.name, s.rule, s.size, JSON.stringify(s.means)]);
  }
  await tx.run('INSERT INTO jarvis.segmentations VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
    id, p.goal, meta.at, p.usersDataset, p.activityDataset, p.scoresDataset ?? null, p.minProbability ?? null, p.lookbackDays, meta.asOf, meta.audience,
  ]);
  await tx.run('DROP TABLE seg_features');
}

/**
 * `segment-audience`: the (at-risk) audience split into at most maxSegments cohorts by the
 * rules of segment-rules.ts, persisted as one segmentation (one membership row per user),
 * all in one transaction.
 */
export function createSegmentAudienceAction(deps: MarketingActionDeps) {
  return defineAction({
    description: 'Split the audience (optionally only users with a churn probability ≥ minProbability) into explainable cohorts and store them as a segmentation',
    params: segmentAudienceParams,
    handler(p) {
      return readingDatasets(['params.activityDataset', 'params.usersDataset', 'params.scoresDataset'], async () => {
        await deps.tables();
        const users = await checkInputs(deps.store, p);
        const asOf = await latestActivity(deps.store, p.activityDataset, 'params.activityDataset');
        const id = `seg_${randomUUID()}`;
        return deps.store.transaction(async (tx) => {
          const { audience, thresholds, cohorts } = await computeCohorts(tx, p, users, asOf);
          const segments = cohorts.map((c) => ({ name: c.name, rule: c.rule, size: c.size, share: Math.round((c.size / audience) * 10_000) / 10_000, means: cohortMeans(c, Boolean(p.scoresDataset)) }));
          await persist(tx, id, p, cohorts, segments, { at: deps.now(), asOf, audience });
          return {
            segmentationId: id,
            goal: p.goal,
            audience,
            asOf: asOf.toISOString(),
            lookbackDays: p.lookbackDays,
            thresholds,
            segments,
            note: 'Rules apply in order: each user belongs to the first cohort whose rule matches.',
          };
        });
      });
    },
  });
}
