import { z } from 'zod';
import { AppError, ConflictError, NotFoundError } from '../../../common/errors';
import type { ExecuteRequest, ModuleManifest } from '../../../common/protocol';
import { fieldError } from '../../../common/validation';
import { valueAt } from '../../../common/value-path';
import { defineAction, defineModule, LONG_ACTION_MS, type ActionContext, type ModuleDefinition } from '../../sdk';
import type { AnalyticsStore } from '../analytics/analytics-store';
import { createWorkflowParams, listRunsParams, runWorkflowParams, workflowRef, type AutomationStep } from './automation-schemas';
import { WorkflowStore, type RunRecord, type StepOutcome } from './workflow-store';

export interface AutomationModuleDeps {
  store: AnalyticsStore;
  /** The DAWG's modules and actions, read at call time (steps are checked against them). */
  manifest: () => ModuleManifest[];
  /** Runs one action of another module exactly as /api/v1/execute would (params validated there). */
  execute: (request: ExecuteRequest, ctx: ActionContext) => Promise<unknown>;
}

/** Every step names a module action that exists here (not automation itself) and reads inputs only from earlier steps. */
function checkSteps(steps: readonly AutomationStep[], manifest: ModuleManifest[]): void {
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    const at = `params.steps[${i}]`;
    if (seen.has(step.key)) throw fieldError(`${at}.key`, `"${step.key}" is used by an earlier step`);
    if (step.module === 'automation') throw fieldError(`${at}.module`, 'a workflow step cannot run an automation action');
    const mod = manifest.find((m) => m.name === step.module);
    if (!mod) throw fieldError(`${at}.module`, `no module "${step.module}" on this DAWG (available: ${manifest.map((m) => m.name).join(', ')})`);
    if (!mod.actions.some((a) => a.name === step.action)) {
      throw fieldError(`${at}.action`, `module ${step.module} has no action "${step.action}" (available: ${mod.actions.map((a) => a.name).join(', ')})`);
    }
    for (const [param, ref] of Object.entries(step.inputs)) {
      const from = ref.split('.')[0]!;
      if (!seen.has(from)) throw fieldError(`${at}.inputs.${param}`, `"${from}" is not an earlier step`);
    }
    seen.add(step.key);
  });
}

function stepError(err: unknown): NonNullable<StepOutcome['error']> {
  if (err instanceof AppError) return { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  return { code: 'STEP_FAILED', message: (err as Error).message };
}

/**
 * Runs the steps in order, each fed by earlier results. Steps that succeeded in an earlier
 * attempt of the same run are kept, not repeated; progress is saved after every step.
 */
async function execute(run: RunRecord, steps: readonly AutomationStep[], deps: AutomationModuleDeps, ctx: ActionContext, save: WorkflowStore): Promise<RunRecord> {
  const done = new Map(run.steps.filter((s) => s.status === 'succeeded').map((s) => [s.key, s]));
  const outcomes: StepOutcome[] = [];
  let failed = false;
  for (const step of steps) {
    const previous = done.get(step.key);
    if (previous) {
      outcomes.push(previous);
      continue;
    }
    if (failed) {
      outcomes.push({ key: step.key, module: step.module, action: step.action, status: 'skipped' });
      continue;
    }
    ctx.signal.throwIfAborted();
    const params: Record<string, unknown> = { ...step.params };
    for (const [param, ref] of Object.entries(step.inputs)) {
      const [from, ...path] = ref.split('.');
      params[param] = valueAt(outcomes.find((o) => o.key === from)?.result, path);
    }
    const started = performance.now();
    try {
      const result = await deps.execute({ module: step.module, action: step.action, params }, ctx);
      outcomes.push({ key: step.key, module: step.module, action: step.action, status: 'succeeded', durationMs: Math.round(performance.now() - started), result });
    } catch (err) {
      failed = true;
      outcomes.push({ key: step.key, module: step.module, action: step.action, status: 'failed', durationMs: Math.round(performance.now() - started), error: stepError(err) });
    }
    await save.saveRun(run.runId, 'running', outcomes);
  }
  const status = failed ? 'failed' : 'succeeded';
  await save.saveRun(run.runId, status, outcomes);
  return { ...run, status, steps: outcomes, finishedAt: new Date().toISOString() };
}

/** Automation (blueprint v1): named workflows of module actions, run on demand or by the control plane's cron schedules. */
export function createAutomationModule(deps: AutomationModuleDeps): ModuleDefinition {
  const workflows = new WorkflowStore(deps.store);
  /** Runs in progress in this process: a second call with the same run waits for an answer instead of running twice. */
  const active = new Map<string, Promise<RunRecord>>();

  return defineModule({
    name: 'automation',
    description: 'Workflows of module actions (e.g. score users → send messages → track engagement), run on demand or on a cron schedule',
    version: '1.0.0',
    actions: {
      'create-workflow': defineAction({
        description: 'Stores a workflow: ordered steps, each one action of another module, fed by earlier steps’ results',
        params: createWorkflowParams,
        async handler(p, ctx) {
          checkSteps(p.steps, deps.manifest());
          const saved = await workflows.save({ name: p.name, description: p.description ?? null, steps: p.steps, trigger: p.trigger ?? null, createdBy: ctx.actor ?? null }, p.replace, ctx.ownedBy);
          if (!saved) throw new ConflictError(`A workflow named "${p.name}" exists (send replace: true to replace it)`, { field: 'params.name' });
          return saved;
        },
      }),
      'list-workflows': defineAction({
        description: 'The stored workflows with their steps and triggers',
        params: z.strictObject({}),
        async handler() {
          return { workflows: await workflows.list() };
        },
      }),
      'run-workflow': defineAction({
        description: 'Runs a workflow’s steps in order; with a runKey, a repeated call resumes or returns the same run (no finished step runs twice)',
        params: runWorkflowParams,
        timeoutMs: LONG_ACTION_MS,
        async handler(p, ctx) {
          const workflow = await workflows.get(p.name);
          if (!workflow) throw new NotFoundError(`No workflow named "${p.name}"`, { field: 'params.name', available: (await workflows.list()).map((w) => w.name) });
          const { run, created } = await workflows.claimRun(p.name, p.runKey);
          const running = active.get(run.runId);
          if (running) return running;
          if (!created && run.status === 'succeeded') return { ...run, replayed: true };
          const pending = execute(run, workflow.steps, deps, ctx, workflows).finally(() => active.delete(run.runId));
          active.set(run.runId, pending);
          const finished = await pending;
          if (finished.status === 'failed') {
            const bad = finished.steps.find((s) => s.status === 'failed')!;
            throw new AppError(422, 'WORKFLOW_STEP_FAILED', `Step "${bad.key}" (${bad.module}.${bad.action}) failed: ${bad.error?.message ?? 'unknown error'}`, {
              runId: finished.runId,
              runKey: finished.runKey,
              steps: finished.steps,
            });
          }
          return finished;
        },
      }),
      'list-runs': defineAction({
        description: 'Recent runs, newest first, with each step’s outcome',
        params: listRunsParams,
        async handler(p) {
          return { runs: await workflows.runs(p.name, p.limit) };
        },
      }),
      'get-workflow': defineAction({
        description: 'One stored workflow',
        params: workflowRef,
        async handler(p) {
          const w = await workflows.get(p.name);
          if (!w) throw new NotFoundError(`No workflow named "${p.name}"`, { field: 'params.name' });
          return w;
        },
      }),
    },
  });
}
