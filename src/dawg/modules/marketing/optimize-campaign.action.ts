import { NotFoundError } from '../../../common/errors';
import { ident, type AnalyticsStore } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { datasetColumns } from './datasets';
import { optimizeCampaignParams, type OptimizeCampaignParams } from './marketing-schemas';
import { probabilityBest, wilsonInterval } from './rate-stats';
import type { MarketingActionDeps } from './action-deps';

type Objective = OptimizeCampaignParams['objective'];

interface SegmentCounts {
  segment: string;
  sent: number;
  opened: number;
  clicked: number;
  streamed: number | null;
}

const DRAWS = 20_000;
const STREAM_WINDOW_DAYS = 7;

/** Per segment of the campaign (segmentation order): sent messages, opened (an open or a click), clicked. */
export async function segmentCounts(store: Pick<AnalyticsStore, 'all'>, campaignId: string): Promise<Omit<SegmentCounts, 'streamed'>[]> {
  return store.all(
    `WITH e AS (SELECT message_id, bool_or(type IN ('open', 'click')) AS opened, bool_or(type = 'click') AS clicked
                FROM jarvis.message_events WHERE campaign_id = $1 GROUP BY 1)
     SELECT m.segment, count(*) FILTER (WHERE m.status = 'sent') AS sent,
            count(*) FILTER (WHERE m.status = 'sent' AND e.opened) AS opened, count(*) FILTER (WHERE m.status = 'sent' AND e.clicked) AS clicked
     FROM jarvis.campaign_messages m JOIN jarvis.campaigns c ON c.id = m.campaign_id
     LEFT JOIN jarvis.segments s ON s.segmentation_id = c.segmentation_id AND s.name = m.segment
     LEFT JOIN e ON e.message_id = m.id
     WHERE m.campaign_id = $1 GROUP BY m.segment, s.position ORDER BY s.position, m.segment`,
    [campaignId],
  );
}

/** Recipients with a stream event in the activity data within a week after their message; null (with why) when the data cannot tell. */
async function streamedCounts(store: Pick<AnalyticsStore, 'all'>, campaignId: string, activityDataset: string): Promise<Map<string, number> | string> {
  const columns = await datasetColumns(store, activityDataset);
  if (!columns || !['user_id', 'ts', 'event'].every((c) => columns.has(c))) return `activity dataset "${activityDataset}" (user_id, ts, event) is not available`;
  const act = `main.${ident(activityDataset)}`;
  const [span] = await store.all<{ latest: string | null; first_sent: string | null }>(
    `SELECT (SELECT max(CAST(ts AS TIMESTAMP)) FROM ${act}) AS latest, (SELECT min(sent_at) FROM jarvis.campaign_messages WHERE campaign_id = $1) AS first_sent`,
    [campaignId],
  );
  if (!span?.latest || !span.first_sent || span.latest <= span.first_sent) {
    return `activity dataset "${activityDataset}" has no events after the first message was sent (latest ${span?.latest ?? 'none'}); reload it to measure streams`;
  }
  const rows = await store.all<{ segment: string; streamed: number }>(
    `SELECT m.segment, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ${act} a WHERE CAST(a.user_id AS VARCHAR) = m.user_id
        AND CAST(a.event AS VARCHAR) = 'stream' AND CAST(a.ts AS TIMESTAMP) > m.sent_at AND CAST(a.ts AS TIMESTAMP) <= m.sent_at + to_days(${STREAM_WINDOW_DAYS}))) AS streamed
     FROM jarvis.campaign_messages m WHERE m.campaign_id = $1 AND m.status = 'sent' GROUP BY m.segment`,
    [campaignId],
  );
  return new Map(rows.map((r) => [r.segment, r.streamed]));
}

/** The objective's (successes, trials) for one segment. */
function measure(objective: Objective, c: SegmentCounts): { successes: number; trials: number } {
  switch (objective) {
    case 'awareness':
      return { successes: c.opened, trials: c.sent };
    case 'engagement':
      return { successes: c.clicked, trials: c.sent };
    case 'conversions':
      return { successes: c.clicked, trials: c.opened };
    case 'streams':
      return { successes: c.streamed ?? 0, trials: c.sent };
  }
}

function missingData(objective: Objective, counts: readonly SegmentCounts[]): string[] {
  const total = (k: 'sent' | 'opened') => counts.reduce((a, c) => a + c[k], 0);
  if (total('sent') === 0) return ['no message of this campaign has been sent yet (run send-due)'];
  if (objective === 'conversions' && total('opened') === 0) return ['no opens recorded yet (record-event type open), so clicks per open cannot be measured'];
  return [];
}

/**
 * `optimize-campaign`: measured rates per segment and a budget split proportional to each
 * segment's posterior probability of being the best for the objective (Beta(1,1) prior,
 * seeded Monte-Carlo). Without measurements it says what is missing and recommends nothing.
 */
export function createOptimizeCampaignAction(deps: MarketingActionDeps) {
  return defineAction({
    description: 'Per-segment measured open/click rates with 95 % intervals and a budget split by the posterior probability that each segment is best for the objective',
    params: optimizeCampaignParams,
    async handler(p) {
      await deps.tables();
      const [campaign] = await deps.store.all<{ activity_dataset: string }>(
        'SELECT s.activity_dataset FROM jarvis.campaigns c JOIN jarvis.segmentations s ON s.id = c.segmentation_id WHERE c.id = $1',
        [p.campaignId],
      );
      if (!campaign) throw new NotFoundError(`params.campaignId: no campaign ${p.campaignId}`, { field: 'params.campaignId' }, 'CAMPAIGN_NOT_FOUND');
      const base = await segmentCounts(deps.store, p.campaignId);
      const streams = p.objective === 'streams' ? await streamedCounts(deps.store, p.campaignId, campaign.activity_dataset) : undefined;
      const counts: SegmentCounts[] = base.map((c) => ({ ...c, streamed: streams instanceof Map ? (streams.get(c.segment) ?? 0) : null }));
      const missing = missingData(p.objective, counts);
      if (typeof streams === 'string' && !missing.length) missing.push(streams);
      if (missing.length) return { status: 'insufficient-data' as const, campaignId: p.campaignId, objective: p.objective, missing, segments: counts.map(({ segment, sent, opened, clicked }) => ({ segment, sent, opened, clicked })) };
      const arms = counts.map((c) => measure(p.objective, c));
      const pBest = probabilityBest(arms, p.seed, DRAWS);
      const segments = counts.map((c, i) => ({
        segment: c.segment,
        sent: c.sent,
        opened: c.opened,
        clicked: c.clicked,
        ...(c.streamed === null ? {} : { streamed: c.streamed }),
        openRate: wilsonInterval(c.opened, c.sent),
        clickRate: wilsonInterval(c.clicked, c.sent),
        objectiveRate: wilsonInterval(arms[i]!.successes, arms[i]!.trials),
        probabilityBest: pBest[i]!,
        budgetShare: pBest[i]!,
        ...(p.dailyBudgetUsd === undefined ? {} : { dailyBudgetUsd: Math.round(p.dailyBudgetUsd * pBest[i]! * 100) / 100 }),
      }));
      const recommendation = { objective: p.objective, at: deps.now().toISOString(), seed: p.seed, draws: DRAWS, dailyBudgetUsd: p.dailyBudgetUsd ?? null, split: segments.map((s) => ({ segment: s.segment, share: s.budgetShare, ...(s.dailyBudgetUsd === undefined ? {} : { dailyBudgetUsd: s.dailyBudgetUsd }) })) };
      await deps.store.run('UPDATE jarvis.campaigns SET recommendation = $2 WHERE id = $1', [p.campaignId, JSON.stringify(recommendation)]);
      return { status: 'ok' as const, campaignId: p.campaignId, objective: p.objective, prior: 'Beta(1, 1) per segment', segments, recommendation };
    },
  });
}
