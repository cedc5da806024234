import { NotFoundError } from '../../../common/errors';
import type { AnalyticsStore } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { ACTIVITY_COLUMNS, USER_COLUMNS, latestActivity, readingDatasets, requireDataset } from './datasets';
import { sendTimesParams } from './marketing-schemas';
import { computeSendHours, MIN_EVENTS, type SendHoursResult, type Targets } from './send-hours';
import type { MarketingActionDeps } from './action-deps';

/** Per-user hours are listed only for small requests; a segmentation of 50,000 gets the summary. */
const LIST_LIMIT = 100;

export async function requireSegmentation(store: Pick<AnalyticsStore, 'all'>, id: string, field: string) {
  const [row] = await store.all<{ id: string; users_dataset: string; activity_dataset: string; as_of: string; lookback_days: number }>(
    'SELECT id, users_dataset, activity_dataset, as_of, lookback_days FROM jarvis.segmentations WHERE id = $1',
    [id],
  );
  if (!row) throw new NotFoundError(`${field}: no segmentation ${id}`, { field }, 'SEGMENTATION_NOT_FOUND');
  return row;
}

function summarise(result: SendHoursResult) {
  const sources = { email_open: 0, session: 0, fallback: 0 };
  const byHour = new Map<number, number>();
  for (const u of result.users) {
    sources[u.source] += 1;
    byHour.set(u.hourUtc, (byHour.get(u.hourUtc) ?? 0) + 1);
  }
  const distribution = [...byHour].sort((a, b) => a[0] - b[0]).map(([hourUtc, users]) => ({ hourUtc, users }));
  return { sources, fallbackUsers: sources.fallback, distribution };
}

/** `send-times`: each user's best send hour (UTC and local) from their own reading hours. */
export function createSendTimesAction(deps: MarketingActionDeps) {
  return defineAction({
    description: `Best e-mail send hour per user (UTC and local) from the hours they opened e-mails (or had sessions); fewer than ${MIN_EVENTS} events: the audience's best hour`,
    params: sendTimesParams,
    handler(p) {
      return readingDatasets(['params.activityDataset', 'params.usersDataset'], async () => {
        await deps.tables();
        if (p.segmentationId) await requireSegmentation(deps.store, p.segmentationId, 'params.segmentationId');
        await requireDataset(deps.store, p.activityDataset, 'params.activityDataset', ACTIVITY_COLUMNS);
        const users = await requireDataset(deps.store, p.usersDataset, 'params.usersDataset', USER_COLUMNS);
        const asOf = await latestActivity(deps.store, p.activityDataset, 'params.activityDataset');
        const targets: Targets = p.userIds ? { userIds: p.userIds } : { segmentationId: p.segmentationId! };
        const result = await computeSendHours(
          deps.store,
          { activityDataset: p.activityDataset, usersDataset: p.usersDataset, hasOffset: users.has('utc_offset'), lookbackDays: p.lookbackDays, asOf, targets },
          'params.activityDataset',
        );
        return {
          users: result.users.length,
          asOf: asOf.toISOString(),
          lookbackDays: p.lookbackDays,
          minEvents: MIN_EVENTS,
          global: result.global,
          ...summarise(result),
          ...(result.users.length <= LIST_LIMIT ? { perUser: result.users } : {}),
        };
      });
    },
  });
}
