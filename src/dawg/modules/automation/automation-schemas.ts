import { z } from 'zod';
import { actionName, moduleName } from '../../../common/protocol';

/**
 * The automation module's parameters (blueprint v1 "automation": workflows of steps with a
 * trigger). A step is one action of another module on this DAWG; the cron trigger itself is a
 * schedule in the control plane's scheduler (persisted there, fired once per slot across
 * instances), which runs the workflow through run-workflow.
 */

export const workflowName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,99}$/, 'must be a workflow name such as ChurnPrevention_Nov2026 (letters, digits, _ and -)');

const stepKey = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase step key (a-z, 0-9, -)');
const inputRef = z.string().regex(/^[a-z][a-z0-9-]{0,63}(\.[A-Za-z0-9_-]+)*$/, 'must be "stepKey" or "stepKey.path.to.value"');

export const automationStep = z.strictObject({
  key: stepKey,
  module: moduleName,
  action: actionName,
  params: z.record(z.string(), z.unknown()).default({}).describe('The action’s parameters'),
  inputs: z.record(z.string(), inputRef).default({}).describe('Parameter → result of an earlier step ("stepKey.path")'),
});
export type AutomationStep = z.output<typeof automationStep>;

export const createWorkflowParams = z.strictObject({
  name: workflowName,
  description: z.string().max(1000).optional(),
  steps: z.array(automationStep).min(1).max(20),
  trigger: z
    .strictObject({ cron: z.string().min(1).max(200), timezone: z.string().min(1).max(100).default('UTC') })
    .optional()
    .describe('The cron trigger the control plane schedules (recorded here for reference)'),
  replace: z.boolean().default(false).describe('Replace a workflow of the same name'),
});

export const runWorkflowParams = z.strictObject({
  name: workflowName,
  runKey: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be letters, digits and _ . : -')
    .optional()
    .describe('Idempotency key (e.g. the scheduled task id): a second run with the same key resumes or returns the first, never repeats a finished step'),
});

export const workflowRef = z.strictObject({ name: workflowName });
export const listRunsParams = z.strictObject({ name: workflowName.optional(), limit: z.number().int().min(1).max(100).default(20) });
