import { z } from 'zod';
import { workflowName } from '../../../dawg/action-schemas';
import { churnGenerate, churnPrefix, churnThreshold } from '../catalog/churn-prediction';
import type { WorkflowStepInput } from '../workflow-engine';

/**
 * The blueprint's scenario 2 as one workflow (§5): "Analyze our user churn data, predict next
 * month's churn rate, and create a re-engagement campaign".
 *
 *   analyze    DataScientist.predict-churn          at-risk users, factor weights, next-month rate
 *   campaign   MarketingStrategist.re-engagement-campaign   cohorts, templates, send times
 *   automation MarketingStrategist.schedule-churn-prevention  daily workflow + its cron schedule
 *
 * Each step's inputs come from the earlier steps' results, so a restarted workflow never redoes
 * a finished step, and every figure in the answer is one the analytics module computed.
 */

export const churnScenarioBody = z.strictObject({
  prefix: churnPrefix,
  generate: churnGenerate.describe('Generate the seeded synthetic dataset first (omit to analyse tables already loaded)'),
  threshold: churnThreshold,
  maxCohorts: z.number().int().min(1).max(10).default(3),
  campaignName: z.string().trim().min(1).max(200).optional(),
  workflowName: workflowName.optional().describe('Omitted: ChurnPrevention_<Mon><Year>'),
  cron: z.string().min(1).max(200).default('0 9 * * *').describe('When the prevention workflow runs (default daily 09:00)'),
  timezone: z.string().min(1).max(100).default('UTC'),
});
export type ChurnScenarioBody = z.output<typeof churnScenarioBody>;

/** The workflow's name and steps for a request. */
export function churnScenarioWorkflow(body: ChurnScenarioBody): { name: string; steps: WorkflowStepInput[] } {
  const prefix = body.prefix;
  const step = (s: Pick<WorkflowStepInput, 'key' | 'agent' | 'taskType' | 'payload'> & Partial<WorkflowStepInput>): WorkflowStepInput => ({
    priority: 'medium',
    dependsOn: [],
    inputs: {},
    ...s,
  });
  return {
    name: `Churn analysis and re-engagement (${prefix})`,
    steps: [
      step({
        key: 'analyze',
        agent: 'DataScientist',
        taskType: 'predict-churn',
        payload: { prefix, threshold: body.threshold, ...(body.generate ? { generate: body.generate } : {}) },
      }),
      step({
        key: 'campaign',
        agent: 'MarketingStrategist',
        taskType: 're-engagement-campaign',
        payload: {
          usersDataset: `${prefix}_users`,
          activityDataset: `${prefix}_activity`,
          maxSegments: body.maxCohorts,
          ...(body.campaignName ? { name: body.campaignName } : {}),
        },
        dependsOn: ['analyze'],
        inputs: { scoresDataset: 'analyze.scoreDataset', minProbability: 'analyze.threshold' },
      }),
      step({
        key: 'automation',
        agent: 'MarketingStrategist',
        taskType: 'schedule-churn-prevention',
        payload: {
          usersDataset: `${prefix}_users`,
          activityDataset: `${prefix}_activity`,
          cron: body.cron,
          timezone: body.timezone,
          ...(body.workflowName ? { workflow: body.workflowName } : {}),
        },
        // After the campaign: the daily run sends its messages.
        dependsOn: ['analyze', 'campaign'],
        inputs: { modelId: 'analyze.model.modelId', scoresDataset: 'analyze.scoreDataset' },
      }),
    ],
  };
}
