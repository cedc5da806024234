import type { AgentSystemDeps } from '../../src/control-plane/agents/agent-system';
import type { WorkflowStepInput } from '../../src/control-plane/agents/workflow-engine';
import { openAgentSystem, waitFor, type TestAgentSystem } from '../helpers/agent-system';

/*
 * Workflow kinds: a summary builds the result when the workflow ends (completed, or failed at a
 * step), from the steps' results and measured times; a summary that throws leaves the plain
 * result, and the step's own outcome stands.
 */

let t: TestAgentSystem;
const seen: Array<{ status: string; keys: string[]; timed: boolean }> = [];

const summaries: AgentSystemDeps['workflowSummaries'] = {
  echoes: (workflow, steps) => {
    seen.push({ status: workflow.status, keys: steps.map((s) => s.key), timed: steps.every((s) => s.status !== 'completed' || (s.startedAt !== null && s.finishedAt !== null)) });
    return { status: workflow.status, values: steps.map((s) => (s.result as { value?: unknown } | null)?.value ?? null), errors: steps.map((s) => s.error?.code ?? null), ms: workflow.finishedAt.getTime() - workflow.createdAt.getTime() };
  },
  broken: () => {
    throw new Error('cannot read the steps');
  },
};

beforeAll(async () => {
  t = await openAgentSystem('pglite', { workflowSummaries: summaries });
});
afterAll(async () => {
  await t?.close();
});

const step = (key: string, taskType: string, payload: Record<string, unknown>, dependsOn: string[] = []): WorkflowStepInput => ({ key, agent: 'Probe', taskType, payload, priority: 'medium', dependsOn, inputs: {} });
const ended = (id: string) =>
  waitFor(async () => {
    const job = await t.system.tasks.job(id);
    return job.kind === 'workflow' && job.status !== 'running' ? job : undefined;
  }, 15_000, `workflow ${id} to end`);

it('builds the result of a completed workflow from its steps, in order, with their times', async () => {
  const { workflowId } = await t.system.workflows.create('two echoes', [step('a', 'echo', { value: 1 }), step('b', 'echo', { value: 2 }, ['a'])], undefined, { kind: 'echoes' });
  const job = await ended(workflowId);
  expect(job).toMatchObject({ status: 'completed', result: { status: 'completed', values: [1, 2], errors: [null, null] } });
  expect((job.result as { ms: number }).ms).toBeGreaterThanOrEqual(0);
  expect(seen.at(-1)).toEqual({ status: 'completed', keys: ['a', 'b'], timed: true });
});

it('keeps the keys of results in the order they were written, on both backends (json, not jsonb)', async () => {
  for (const system of [t, await openAgentSystem('postgres', { workflowSummaries: summaries })]) {
    try {
      // The sleep probe answers { slept, label }: jsonb would give { label, slept }.
      const { workflowId, taskIds } = await system.system.workflows.create('ordered', [step('a', 'sleep', { ms: 1, label: 'x' })], undefined, { kind: 'echoes' });
      const job = await waitFor(async () => {
        const j = await system.system.tasks.job(workflowId);
        return j.kind === 'workflow' && j.status !== 'running' ? j : undefined;
      }, 15_000, 'the workflow to end');
      expect(Object.keys(job.result as object)).toEqual(['status', 'values', 'errors', 'ms']);
      const task = await system.system.tasks.job(taskIds.a!);
      expect(JSON.stringify(task.kind === 'task' && task.result)).toBe('{"slept":1,"label":"x"}');
    } finally {
      if (system !== t) await system.close();
    }
  }
});

it('summarises a failed workflow with the failed step\'s error; the workflow error names it', async () => {
  const { workflowId } = await t.system.workflows.create('echo then fail', [step('a', 'echo', { value: 1 }), step('b', 'fail', { key: 'summary-fail' }, ['a']), step('c', 'echo', { value: 3 }, ['b'])], undefined, { kind: 'echoes' });
  const job = await ended(workflowId);
  expect(job).toMatchObject({ status: 'failed', result: { status: 'failed', values: [1, null, null], errors: [null, 'VALIDATION_FAILED', null] } });
  expect(job.kind === 'workflow' && job.error).toMatchObject({ code: 'STEP_FAILED', message: 'Step "b" failed: the probe refuses', details: { step: 'b', stepError: 'VALIDATION_FAILED' } });
});

it('keeps the plain result when the summary throws, and refuses an unknown kind', async () => {
  const { workflowId } = await t.system.workflows.create('broken summary', [step('a', 'echo', { value: 'x' })], undefined, { kind: 'broken' });
  const job = await ended(workflowId);
  expect(job).toMatchObject({ status: 'completed', result: { a: { value: 'x' } } });
  await expect(t.system.workflows.create('nope', [step('a', 'echo', { value: 1 })], undefined, { kind: 'nope' })).rejects.toThrow('no workflow summary named nope');
});

it('answers the existing workflow for a fixed id instead of a second one', async () => {
  const id = 'wf_00000000-0000-4000-8000-000000000001';
  const first = await t.system.workflows.create('fixed', [step('a', 'echo', { value: 1 })], undefined, { id });
  const again = await t.system.workflows.create('fixed', [step('a', 'echo', { value: 1 })], undefined, { id });
  expect(first.existing).toBeUndefined();
  expect(again).toEqual({ workflowId: id, taskIds: first.taskIds, existing: true });
  await ended(id);
});
