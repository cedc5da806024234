import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createAutomationModule } from '../../src/dawg/modules/automation';
import { defineAction, defineModule, ModuleRegistry, type ActionContext } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

/** A counter module: each call is recorded, so tests see exactly which steps ran and how often. */
function counterModule(calls: string[], failures: { next: number }) {
  return defineModule({
    name: 'counter',
    description: 'test',
    version: '0.0.1',
    actions: {
      add: defineAction({
        description: 'adds',
        params: z.strictObject({ a: z.number(), b: z.number() }),
        async handler(p) {
          calls.push(`add:${p.a}+${p.b}`);
          return { sum: p.a + p.b };
        },
      }),
      flaky: defineAction({
        description: 'fails while failures.next > 0',
        params: z.strictObject({ value: z.number() }),
        async handler(p) {
          calls.push(`flaky:${p.value}`);
          if (failures.next > 0) {
            failures.next -= 1;
            throw new Error('provider down');
          }
          return { doubled: p.value * 2 };
        },
      }),
    },
  });
}

describe('automation module', () => {
  let dir: string;
  let store: AnalyticsStore;
  let registry: ModuleRegistry;
  let calls: string[];
  const failures = { next: 0 };
  const ctx = (): ActionContext => ({ requestId: 'r1', signal: new AbortController().signal, logger: silentLogger(), actor: 'key_test' });
  const exec = (action: string, params: Record<string, unknown>) => registry.execute({ module: 'automation', action, params }, ctx());

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'automation-'));
    store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
    calls = [];
    failures.next = 0;
    registry = new ModuleRegistry();
    registry.register(counterModule(calls, failures));
    registry.register(createAutomationModule({ store, manifest: () => registry.manifest(), execute: async (req, c) => (await registry.execute(req, c)).result }));
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const workflow = {
    name: 'Chain',
    steps: [
      { key: 'first', module: 'counter', action: 'add', params: { a: 1, b: 2 } },
      { key: 'second', module: 'counter', action: 'flaky', inputs: { value: 'first.sum' } },
      { key: 'third', module: 'counter', action: 'add', params: { a: 10 }, inputs: { b: 'second.doubled' } },
    ],
    trigger: { cron: '0 9 * * *' },
  };

  it('stores a workflow and runs its steps in order, each fed by earlier results', async () => {
    const created = await exec('create-workflow', workflow);
    expect(created.result).toMatchObject({ name: 'Chain', trigger: { cron: '0 9 * * *', timezone: 'UTC' }, createdBy: 'key_test' });
    const run = (await exec('run-workflow', { name: 'Chain' })).result as { status: string; steps: Array<{ key: string; status: string; result: unknown }> };
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => [s.key, s.status, s.result])).toEqual([
      ['first', 'succeeded', { sum: 3 }],
      ['second', 'succeeded', { doubled: 6 }],
      ['third', 'succeeded', { sum: 16 }],
    ]);
    expect(calls).toEqual(['add:1+2', 'flaky:3', 'add:10+6']);
  });

  it('fails with the failing step named, skips the rest, and resumes the same run without repeating finished steps', async () => {
    await exec('create-workflow', workflow);
    failures.next = 1;
    const failed = await exec('run-workflow', { name: 'Chain', runKey: 'slot-1' }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 422, code: 'WORKFLOW_STEP_FAILED', message: expect.stringContaining('"second" (counter.flaky) failed: provider down') });
    const details = (failed as { details: { steps: Array<{ key: string; status: string }> } }).details;
    expect(details.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'skipped']);

    const resumed = (await exec('run-workflow', { name: 'Chain', runKey: 'slot-1' })).result as { status: string; runKey: string };
    expect(resumed).toMatchObject({ status: 'succeeded', runKey: 'slot-1' });
    // "first" ran once; "second" twice (failed, then succeeded); "third" once.
    expect(calls).toEqual(['add:1+2', 'flaky:3', 'flaky:3', 'add:10+6']);

    const replay = (await exec('run-workflow', { name: 'Chain', runKey: 'slot-1' })).result as { replayed: boolean };
    expect(replay.replayed).toBe(true);
    expect(calls).toHaveLength(4);
    const runs = (await exec('list-runs', { name: 'Chain' })).result as { runs: Array<{ runKey: string; status: string }> };
    expect(runs.runs).toEqual([expect.objectContaining({ runKey: 'slot-1', status: 'succeeded' })]);
  });

  it('runs a keyed run once when two calls race for it', async () => {
    await exec('create-workflow', workflow);
    await Promise.all([exec('run-workflow', { name: 'Chain', runKey: 'k' }), exec('run-workflow', { name: 'Chain', runKey: 'k' })]);
    expect(calls).toEqual(['add:1+2', 'flaky:3', 'add:10+6']);
  });

  it.each([
    [{ ...workflow, steps: [{ key: 'a', module: 'nope', action: 'add' }] }, 'params.steps[0].module'],
    [{ ...workflow, steps: [{ key: 'a', module: 'counter', action: 'nope' }] }, 'params.steps[0].action'],
    [{ ...workflow, steps: [{ key: 'a', module: 'automation', action: 'run-workflow' }] }, 'params.steps[0].module'],
    [{ ...workflow, steps: [{ key: 'a', module: 'counter', action: 'add', inputs: { a: 'b.sum' } }] }, 'params.steps[0].inputs.a'],
    [{ ...workflow, steps: [workflow.steps[0], workflow.steps[0]] }, 'params.steps[1].key'],
    [{ ...workflow, name: 'bad name!' }, 'params.name'],
  ])('refuses a bad workflow (%#) naming %s', async (body, field) => {
    const err = await exec('create-workflow', body).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(JSON.stringify((err as { details: unknown }).details)).toContain(field);
  });

  it('answers 409 for a duplicate name unless replace, and 404 for an unknown workflow', async () => {
    await exec('create-workflow', workflow);
    await expect(exec('create-workflow', workflow)).rejects.toMatchObject({ status: 409 });
    const replaced = await exec('create-workflow', { ...workflow, description: 'v2', replace: true });
    expect(replaced.result).toMatchObject({ description: 'v2' });
    await expect(exec('run-workflow', { name: 'Missing' })).rejects.toMatchObject({ status: 404, details: { available: ['Chain'] } });
  });

  it('lets a caller limited to its own resources replace only its own workflows', async () => {
    const as = (actor: string, limited = true) => (action: string, params: Record<string, unknown>) =>
      registry.execute({ module: 'automation', action, params }, { ...ctx(), actor, ...(limited ? { ownedBy: actor } : {}) });
    await as('key_alice')('create-workflow', workflow);
    await expect(as('key_bob')('create-workflow', { ...workflow, description: 'hijacked', replace: true })).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      details: { field: 'params.name' },
    });
    expect((await exec('get-workflow', { name: 'Chain' })).result).toMatchObject({ createdBy: 'key_alice', description: null });
    // Its creator may; so may a caller without a limit (an admin key), which then owns it.
    await as('key_alice')('create-workflow', { ...workflow, description: 'v2', replace: true });
    expect((await as('key_admin', false)('create-workflow', { ...workflow, description: 'v3', replace: true })).result).toMatchObject({ description: 'v3', createdBy: 'key_admin' });
    await expect(as('key_alice')('create-workflow', { ...workflow, replace: true })).rejects.toMatchObject({ status: 403 });
  });

  it('reports a step whose params the target action refuses, without running later steps', async () => {
    await exec('create-workflow', { name: 'Bad', steps: [{ key: 'a', module: 'counter', action: 'add', params: { a: 'x', b: 1 } }, { key: 'b', module: 'counter', action: 'add', params: { a: 1, b: 1 } }] });
    const err = await exec('run-workflow', { name: 'Bad' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 422, details: { steps: [{ status: 'failed', error: { code: 'VALIDATION_FAILED' } }, { status: 'skipped' }] } });
    expect(calls).toEqual([]);
  });
});
