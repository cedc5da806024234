import { NotFoundError } from '../../../common/errors';
import { defineAction } from '../../sdk';
import { segmentCounts, wilsonInterval } from '../marketing';
import { trackParams } from './engagement-schemas';
import type { EngagementActionDeps } from './score-users.action';

const TREND_POINTS = 10;

interface Counts {
  sent: number;
  opened: number;
  clicked: number;
}

const rates = (c: Counts) => ({ ...c, openRate: wilsonInterval(c.opened, c.sent), clickRate: wilsonInterval(c.clicked, c.sent) });

/**
 * `track`: sent / opened / clicked per campaign and per segment with 95 % Wilson intervals,
 * from the recorded message events. Each call also stores one snapshot row per campaign in
 * jarvis.campaign_stats, so the daily workflow builds up a trend the answer shows.
 */
export function createTrackAction(deps: EngagementActionDeps) {
  return defineAction({
    description: 'Engagement of campaign messages (sent, opened, clicked with 95 % intervals) per campaign and segment; stores a snapshot for trends',
    params: trackParams,
    async handler(p) {
      await deps.tables();
      const campaigns = await deps.store.all<{ id: string; name: string; status: string }>(
        `SELECT id, name, status FROM jarvis.campaigns ${p.campaignId ? 'WHERE id = $1' : ''} ORDER BY created_at, id`,
        p.campaignId ? [p.campaignId] : [],
      );
      if (p.campaignId && !campaigns.length) throw new NotFoundError(`params.campaignId: no campaign ${p.campaignId}`, { field: 'params.campaignId' }, 'CAMPAIGN_NOT_FOUND');
      const at = deps.now();
      const measured: { campaign: (typeof campaigns)[number]; segments: ({ segment: string } & Counts)[]; total: Counts }[] = [];
      for (const c of campaigns) {
        const segments = await segmentCounts(deps.store, c.id);
        const total = segments.reduce<Counts>((a, s) => ({ sent: a.sent + s.sent, opened: a.opened + s.opened, clicked: a.clicked + s.clicked }), { sent: 0, opened: 0, clicked: 0 });
        measured.push({ campaign: c, segments, total });
      }
      await deps.store.transaction(async (tx) => {
        for (const m of measured) {
          await tx.run('INSERT INTO jarvis.campaign_stats VALUES ($1, $2, $3, $4, $5)', [at, m.campaign.id, m.total.sent, m.total.opened, m.total.clicked]);
        }
      });
      const answer = [];
      for (const m of measured) {
        const trend = await deps.store.all<{ at: string } & Counts>(
          'SELECT "at", sent, opened, clicked FROM jarvis.campaign_stats WHERE campaign_id = $1 ORDER BY "at" DESC LIMIT $2',
          [m.campaign.id, TREND_POINTS],
        );
        answer.push({ campaignId: m.campaign.id, name: m.campaign.name, status: m.campaign.status, ...rates(m.total), segments: m.segments.map((s) => ({ segment: s.segment, ...rates(s) })), trend: trend.reverse() });
      }
      return { at: at.toISOString(), campaigns: answer };
    },
  });
}
