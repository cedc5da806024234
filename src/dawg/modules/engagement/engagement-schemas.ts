import { z } from 'zod';
import { datasetName } from '../marketing';

/* The engagement module's action parameters (blueprint v1: the churn scenario's daily scoring and tracking). */

export const scoreUsersParams = z.strictObject({
  activityDataset: datasetName.default('churn_activity'),
  usersDataset: datasetName
    .optional()
    .describe('Users to score besides those with activity (default churn_users when it exists); users without activity in the window score 0'),
  lookbackDays: z.number().int().min(1).max(365).default(30),
  asOf: z.iso.datetime({ offset: true }).optional().describe('End of the window (default: the dataset’s latest activity)'),
  saveAs: datasetName.default('engagement_scores').describe('Dataset (table) the scores are written to; replaced if it exists'),
});

export const cohortsParams = z.strictObject({
  activityDataset: datasetName.default('churn_activity'),
  usersDataset: datasetName.default('churn_users'),
  period: z.enum(['week', 'month']).default('month'),
  periods: z.number().int().min(1).max(24).default(6).describe('How many signup cohorts (the latest ones) and periods after signup'),
});

export const trackParams = z.strictObject({
  campaignId: z.string().regex(/^cmp_[0-9a-f-]{36}$/, 'must be a campaign id (cmp_<uuid>)').optional().describe('One campaign (default: every campaign)'),
});

export type ScoreUsersParams = z.output<typeof scoreUsersParams>;
export type CohortsParams = z.output<typeof cohortsParams>;
