import { fieldError } from '../../../common/validation';
import { ident, type AnalyticsStore } from '../analytics/analytics-store';
import { ACTIVITY_COLUMNS, latestActivity, requireDataset } from './datasets';
import { computeSendHours } from './send-hours';

/*
 * What create-campaign needs of a segmentation's members before it writes anything: their
 * personal values, who cannot be mailed (no e-mail, unsubscribed earlier) and when each
 * message goes out.
 */

export interface Recipient {
  user_id: string;
  segment: string;
  email: string | null;
  first_name: string | null;
  plan: string | null;
  recency_days: number | null;
  utc_offset: number | null;
  unsubscribed: boolean;
}

interface Segmentation {
  id: string;
  users_dataset: string;
  activity_dataset: string;
}

/** Days of opens/sessions an optimal send hour is chosen from. */
const SEND_HOUR_LOOKBACK_DAYS = 90;

const column = (columns: Set<string>, name: string, type: string) => (columns.has(name) ? `CAST(u.${ident(name)} AS ${type})` : `CAST(NULL AS ${type})`);

export async function loadRecipients(store: Pick<AnalyticsStore, 'all'>, seg: Segmentation): Promise<Recipient[]> {
  const field = 'params.segmentationId';
  const columns = await requireDataset(store, seg.users_dataset, field, ['user_id']);
  if (!columns.has('email')) throw fieldError(field, `the segmentation's users dataset "${seg.users_dataset}" has no email column`);
  return store.all<Recipient>(
    `WITH u AS (SELECT DISTINCT ON (CAST(user_id AS VARCHAR)) * FROM main.${ident(seg.users_dataset)} ORDER BY CAST(user_id AS VARCHAR))
     SELECT m.user_id, m.segment, m.recency_days, ${column(columns, 'email', 'VARCHAR')} AS email,
       ${column(columns, 'first_name', 'VARCHAR')} AS first_name, ${column(columns, 'plan', 'VARCHAR')} AS plan,
       ${column(columns, 'utc_offset', 'INTEGER')} AS utc_offset,
       m.user_id IN (SELECT cm.user_id FROM jarvis.message_events e JOIN jarvis.campaign_messages cm ON cm.id = e.message_id
                     WHERE e.type = 'unsubscribe') AS unsubscribed
     FROM jarvis.segment_members m LEFT JOIN u ON CAST(u.user_id AS VARCHAR) = m.user_id
     WHERE m.segmentation_id = $1 ORDER BY m.user_id`,
    [seg.id],
  );
}

/**
 * Each recipient's send instant on `startDate`: at their best UTC hour ('optimal'), or at
 * HH:MM in their local time (UTC when the users dataset gives no offset).
 */
export async function sendInstants(
  store: Pick<AnalyticsStore, 'all'>,
  seg: Segmentation,
  recipients: readonly Recipient[],
  startDate: string,
  sendTime: string,
): Promise<Map<string, Date>> {
  const midnight = Date.parse(`${startDate}T00:00:00.000Z`);
  const at = new Map<string, Date>();
  if (sendTime !== 'optimal') {
    const [hh, mm] = sendTime.split(':').map(Number) as [number, number];
    for (const r of recipients) at.set(r.user_id, new Date(midnight + ((hh - (r.utc_offset ?? 0)) * 60 + mm) * 60_000));
    return at;
  }
  const field = 'params.segmentationId';
  await requireDataset(store, seg.activity_dataset, field, ACTIVITY_COLUMNS);
  const asOf = await latestActivity(store, seg.activity_dataset, field);
  const hours = await computeSendHours(
    store,
    { activityDataset: seg.activity_dataset, usersDataset: seg.users_dataset, hasOffset: false, lookbackDays: SEND_HOUR_LOOKBACK_DAYS, asOf, targets: { segmentationId: seg.id } },
    field,
  );
  for (const u of hours.users) at.set(u.userId, new Date(midnight + u.hourUtc * 3_600_000));
  return at;
}
