import { z } from 'zod';
import { datasetName, workflowName } from '../../../dawg/action-schemas';
import { capability } from '../types';

/**
 * Automation workflows on the DAWG (the automation module stores their steps) with their cron
 * trigger in the control plane's scheduler: each slot queues one run-automation task, and the
 * task's id keys the run, so a retried task resumes the run instead of repeating its steps.
 */

const dataset = datasetName;

export const runAutomation = capability({
  name: 'run-automation',
  description: 'Run a stored automation workflow once (what its schedule queues)',
  requiredModules: ['automation'],
  estimatedDuration: 60,
  timeoutMs: 600_000,
  // The run is keyed by the task id: a resumed task continues the same run, finished steps are kept.
  resumable: true,
  payload: z.strictObject({ workflow: workflowName }),
  async run(p, ctx) {
    return ctx.call('automation', 'run-workflow', { name: p.workflow, runKey: ctx.taskId }, { timeoutMs: 600_000 });
  },
});

const monthName = (d: Date) => `${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })}${d.getUTCFullYear()}`;

export const scheduleChurnPrevention = capability({
  name: 'schedule-churn-prevention',
  description: 'Create the daily churn-prevention workflow (score users → send messages → track engagement) and schedule it',
  requiredModules: ['automation', 'analytics', 'marketing', 'engagement'],
  estimatedDuration: 5,
  timeoutMs: 60_000,
  // Replaces the workflow and finds its own schedule on a retry: safe to run again.
  resumable: true,
  payload: z.strictObject({
    workflow: workflowName.optional().describe('Omitted: ChurnPrevention_<Mon><Year>'),
    modelId: z.string().regex(/^mdl_[0-9a-f-]{36}$/, 'must be a model id (mdl_…)').describe('The churn model that scores users each day'),
    usersDataset: dataset.default('churn_users'),
    activityDataset: dataset.default('churn_activity'),
    scoresDataset: dataset.default('churn_scores'),
    cron: z.string().min(1).max(200).default('0 9 * * *').describe('When it runs (default daily at 09:00)'),
    timezone: z.string().min(1).max(100).default('UTC'),
  }),
  async run(p, ctx) {
    const name = p.workflow ?? `ChurnPrevention_${monthName(new Date())}`;
    const steps = [
      { key: 'score-users', module: 'analytics', action: 'ml-model', params: { kind: 'predict', modelId: p.modelId, dataset: p.usersDataset, idColumn: 'user_id', scoreDataset: p.scoresDataset } },
      { key: 'engagement', module: 'engagement', action: 'score-users', params: { activityDataset: p.activityDataset, usersDataset: p.usersDataset } },
      { key: 'send-messages', module: 'marketing', action: 'send-due', params: {} },
      { key: 'track-engagement', module: 'engagement', action: 'track', params: {} },
    ];
    const workflow = await ctx.call('automation', 'create-workflow', {
      name,
      description: 'Daily churn prevention: score users with the churn model, refresh engagement scores, send due campaign messages, track their engagement',
      steps,
      trigger: { cron: p.cron, timezone: p.timezone },
      replace: true,
    });
    const schedule = await ctx.schedule({ name, cron: p.cron, timezone: p.timezone, agent: ctx.agent, taskType: 'run-automation', payload: { workflow: name }, priority: 'medium' });
    return {
      workflow: name,
      trigger: `${p.cron} (${p.timezone})`,
      actions: steps.map((s) => `${s.module}.${s.action}`),
      scheduleId: schedule.id,
      nextRunAt: schedule.nextRunAt,
      definition: workflow,
      summary: [`Workflow created: "${name}"`, `Trigger: ${p.cron} (${p.timezone}), next run ${schedule.nextRunAt}`, 'Actions: Score users → Send emails → Track engagement'],
    };
  },
});
