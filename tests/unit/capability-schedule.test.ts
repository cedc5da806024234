import { ConflictError } from '../../src/common/errors';
import { CapabilityCalls } from '../../src/control-plane/agents/capability-calls';
import type { ScheduleInput, ScheduleRecord } from '../../src/control-plane/agents/schedule-service';
import type { StartedTask } from '../../src/control-plane/agents/task-store';
import { silentLogger } from '../helpers/logger';

/** ctx.schedule: creates as the task's user; a retried task finds its own schedule; anything else with the name is the 409. */
describe('CapabilityContext.schedule', () => {
  const input: ScheduleInput = { name: 'Daily', cron: '0 9 * * *', timezone: 'UTC', agent: 'MarketingStrategist', taskType: 'run-automation', payload: { workflow: 'W', extra: { a: 1, b: 2 } }, priority: 'medium' };
  const stored = (over: Partial<ScheduleRecord> = {}): ScheduleRecord => ({ ...input, id: 'sch_1', enabled: true, nextRunAt: '2026-12-05T09:00:00.000Z', createdAt: '2026-12-04T00:00:00.000Z', ...over });
  const task = { id: 'tsk_1', agent: 'MarketingStrategist', task_type: 'schedule-churn-prevention', attempts: 2, created_by: 'key_1' } as unknown as StartedTask;

  function contextWith(existing: ScheduleRecord[]) {
    const created: Array<{ input: ScheduleInput; owner?: string }> = [];
    const listedFor: Array<string | undefined> = [];
    const service = {
      async create(i: ScheduleInput, owner?: string) {
        if (existing.some((s) => s.name === i.name)) throw new ConflictError(`A schedule named "${i.name}" exists`);
        created.push({ input: i, owner });
        return stored();
      },
      async list(owner?: string) {
        listedFor.push(owner);
        return existing;
      },
    };
    const calls = new CapabilityCalls({
      router: { execute: async () => ({}) as never, modules: async () => ({ reachable: true, modules: [] }) as never },
      logger: silentLogger(),
      schedules: () => service,
    });
    return { ctx: calls.context(task, new AbortController().signal, () => undefined), created, listedFor };
  }

  it('creates the schedule as the user who queued the task', async () => {
    const { ctx, created } = contextWith([]);
    await expect(ctx.schedule(input)).resolves.toMatchObject({ id: 'sch_1' });
    expect(created).toEqual([{ input, owner: 'key_1' }]);
  });

  it('answers the user’s own identical schedule on a retry, whatever the key order of its stored payload', async () => {
    const { ctx, listedFor } = contextWith([stored({ id: 'sch_mine', payload: { extra: { b: 2, a: 1 }, workflow: 'W' } })]);
    await expect(ctx.schedule(input)).resolves.toMatchObject({ id: 'sch_mine' });
    expect(listedFor).toEqual(['key_1']);
  });

  it('keeps the 409 when the schedule of that name differs', async () => {
    const { ctx } = contextWith([stored({ cron: '0 10 * * *' })]);
    await expect(ctx.schedule(input)).rejects.toMatchObject({ status: 409 });
  });
});
