import { z } from 'zod';
import { datasetName } from '../analytics/analytics-schemas';

/*
 * The marketing module's action parameters (blueprint v1: campaigns for the churn scenario).
 * Dataset names are checked against the store when an action runs; here only their shape.
 */

/** The analytics store's dataset (table) name rule: what marketing reads and writes, analytics can query. */
export { datasetName } from '../analytics/analytics-schemas';

export const userId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'must be a user id (letters, digits, . _ @ -)');
export const segmentationId = z.string().regex(/^seg_[0-9a-f-]{36}$/, 'must be a segmentation id (seg_<uuid>)');
export const campaignId = z.string().regex(/^cmp_[0-9a-f-]{36}$/, 'must be a campaign id (cmp_<uuid>)');
export const messageId = z.string().regex(/^msg_[0-9a-f-]{36}$/, 'must be a message id (msg_<uuid>)');
export const isoDate = z.iso.date().describe('A calendar date, YYYY-MM-DD (UTC)');
export const isoDateTime = z.iso.datetime({ offset: true }).describe('An ISO 8601 instant, e.g. 2025-03-01T09:00:00Z');
const lookbackDays = z.number().int().min(1).max(365).default(30).describe('Days of activity before the data’s latest event that count');
const goal = z.string().trim().min(1).max(500);

export const segmentAudienceParams = z.strictObject({
  goal: goal.describe('What the campaign is for, e.g. "win back users at risk of churning"'),
  usersDataset: datasetName.default('churn_users'),
  activityDataset: datasetName.default('churn_activity'),
  scoresDataset: datasetName.optional().describe('A table with user_id and probability (e.g. churn scores); only scored users form the audience'),
  minProbability: z.number().min(0).max(1).optional().describe('With scoresDataset: only users whose probability is at least this'),
  maxSegments: z.number().int().min(1).max(20).default(5),
  lookbackDays,
});

export const sendTimesParams = z
  .strictObject({
    activityDataset: datasetName.default('churn_activity'),
    usersDataset: datasetName.default('churn_users').describe('Where utc_offset (hours) turns UTC hours into local ones'),
    userIds: z.array(userId).min(1).max(10_000).optional(),
    segmentationId: segmentationId.optional(),
    lookbackDays: z.number().int().min(1).max(365).default(90),
  })
  .superRefine((p, ctx) => {
    if ((p.userIds === undefined) === (p.segmentationId === undefined)) {
      ctx.addIssue({ code: 'custom', path: [p.userIds === undefined ? 'userIds' : 'segmentationId'], message: 'give either userIds or segmentationId' });
    }
  });

export const templateSchema = z.strictObject({
  segment: z.string().min(1).max(200).describe('A segment name of the segmentation, or "default" for every segment without its own template'),
  subject: z.string().min(1).max(300),
  body: z.string().min(1).max(20_000),
});

export const createCampaignParams = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    segmentationId,
    channel: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a channel name such as outbox').default('outbox'),
    templates: z.array(templateSchema).min(1).max(50).describe('Placeholders: {{first_name}}, {{plan}}, {{days_inactive}}'),
    startDate: isoDate.optional().describe('Day the messages go out (default: tomorrow, UTC)'),
    sendTime: z
      .union([z.literal('optimal'), z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be "optimal" or HH:MM')])
      .default('optimal')
      .describe('"optimal": each user’s best hour (UTC) from send-times; HH:MM: that time in each user’s local time'),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.templates.forEach((t, i) => {
      if (seen.has(t.segment)) ctx.addIssue({ code: 'custom', path: ['templates', i, 'segment'], message: `has a second template for "${t.segment}"` });
      seen.add(t.segment);
    });
  });

export const sendDueParams = z.strictObject({
  now: isoDateTime.optional().describe('Send what is due at this instant (default: the clock)'),
  limit: z.number().int().min(1).max(10_000).default(1_000),
  campaignId: campaignId.optional(),
});

export const outboxParams = z.strictObject({
  limit: z.number().int().min(1).max(200).default(50),
  before: isoDateTime.optional().describe('Only messages queued strictly before this instant (the previous page’s nextBefore)'),
  campaignId: campaignId.optional(),
});

export const recordEventParams = z.strictObject({
  messageId,
  type: z.enum(['open', 'click', 'unsubscribe']),
  at: isoDateTime.optional(),
});

export const optimizeCampaignParams = z.strictObject({
  campaignId,
  objective: z.enum(['awareness', 'engagement', 'conversions', 'streams']).describe(
    'awareness: opens per sent message; engagement: clicks per sent; conversions: clicks per opened; streams: recipients who streamed within 7 days after their message',
  ),
  dailyBudgetUsd: z.number().positive().max(10_000_000).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1).describe('Seed of the Monte-Carlo draws; the same seed gives the same split'),
});

export const contentCalendarParams = z.strictObject({
  goal,
  channels: z
    .array(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a channel name such as email or instagram'))
    .min(1)
    .max(10)
    .refine((c) => new Set(c).size === c.length, 'must not repeat a channel'),
  startDate: isoDate.optional().describe('First day of the calendar (default: tomorrow, UTC)'),
  weeks: z.number().int().min(1).max(12).default(4),
  postsPerWeek: z.number().int().min(1).max(21).default(3),
  activityDataset: datasetName.default('churn_activity'),
});

export type SegmentAudienceParams = z.output<typeof segmentAudienceParams>;
export type SendTimesParams = z.output<typeof sendTimesParams>;
export type CreateCampaignParams = z.output<typeof createCampaignParams>;
export type SendDueParams = z.output<typeof sendDueParams>;
export type OptimizeCampaignParams = z.output<typeof optimizeCampaignParams>;
export type ContentCalendarParams = z.output<typeof contentCalendarParams>;
