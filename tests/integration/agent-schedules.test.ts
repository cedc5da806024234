import { openAgentSystem, waitFor, type TestAgentSystem } from '../helpers/agent-system';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';

describe.each(DB_KINDS)('schedules on %s', (kind) => {
  let t: TestAgentSystem | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('computes the next slot in the schedule’s time zone and refuses bad cron or zone, naming the field', async () => {
    t = await openAgentSystem(kind, { start: false });
    const s = await t.system.schedules.create({ name: 'daily', cron: '0 9 * * *', timezone: 'Europe/Paris', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'low' });
    const next = new Date(s.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(next)).toBe('09:00');
    await expect(t.system.schedules.create({ name: 'x', cron: 'every day', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'low' })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'body.cron' })] },
    });
    await expect(t.system.schedules.create({ name: 'y', cron: '0 9 * * *', timezone: 'Mars/Olympus', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'low' })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'body.timezone' })] },
    });
    await expect(t.system.schedules.create({ name: 'daily', cron: '0 9 * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'low' })).rejects.toMatchObject({ status: 409 });
  });

  it('fires a due slot once, however many instances tick it, and moves to the next slot', async () => {
    t = await openAgentSystem(kind, { start: false });
    const s = await t.system.schedules.create({ name: 'each-minute', cron: '* * * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: { label: 'cron' }, priority: 'medium' });
    const slot = new Date(s.nextRunAt);
    const at = new Date(slot.getTime() + 500);
    // Two instances (here: concurrent ticks) race for the same slot; one wins.
    const [a, b] = await Promise.all([t.system.schedules.tick(at), t.system.schedules.tick(at)]);
    expect([...a, ...b]).toHaveLength(1);
    const [after] = await t.system.schedules.list();
    expect(after).toMatchObject({ lastTaskId: [...a, ...b][0], lastRunAt: slot.toISOString() });
    expect(new Date(after!.nextRunAt).getTime()).toBe(slot.getTime() + 60_000);
    // The slot is spent: ticking again at the same time creates nothing.
    expect(await t.system.schedules.tick(at)).toEqual([]);
  });

  it('disables a schedule that can no longer create its task, and still fires the others', async () => {
    t = await openAgentSystem(kind, { start: false });
    const good = await t.system.schedules.create({ name: 'good', cron: '* * * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'medium' });
    // As if the task type had been removed from the agent since the schedule was made.
    await t.testDb.db.query(
      `INSERT INTO task_schedules (id, name, cron, timezone, agent, task_type, payload, priority, next_run_at)
       VALUES ('sch_00000000-0000-4000-8000-000000000000', 'stale', '* * * * *', 'UTC', 'Probe', 'gone', '{}', 'medium', $1)`,
      [new Date(Date.parse(good.nextRunAt) - 60_000)],
    );
    const created = await t.system.schedules.tick(new Date(Date.parse(good.nextRunAt) + 1_000));
    expect(created).toHaveLength(1);
    const byName = Object.fromEntries((await t.system.schedules.list()).map((x) => [x.name, x]));
    expect(byName.stale!.enabled).toBe(false);
    expect(byName.good!.lastTaskId).toBe(created[0]);
  });

  it('fires missed slots once after downtime, not once per missed slot', async () => {
    t = await openAgentSystem(kind, { start: false });
    const s = await t.system.schedules.create({ name: 'minutely', cron: '* * * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: {}, priority: 'medium' });
    const muchLater = new Date(new Date(s.nextRunAt).getTime() + 10 * 60_000 + 1_000);
    expect(await t.system.schedules.tick(muchLater)).toHaveLength(1);
    expect(await t.system.schedules.tick(muchLater)).toHaveLength(0);
  });
});

describe('schedules across two running instances (PostgreSQL)', () => {
  let testDb: TestDb;
  const systems: TestAgentSystem[] = [];
  afterAll(async () => {
    for (const s of systems) await s.close();
    await testDb?.drop();
  });

  it('every per-second slot creates exactly one task, which runs', async () => {
    testDb = await openTestDb('postgres');
    systems.push(await openAgentSystem('postgres', { testDb }), await openAgentSystem('postgres', { testDb }));
    const [one] = systems;
    await one!.system.schedules.create({ name: 'per-second', cron: '* * * * * *', timezone: 'UTC', agent: 'Probe', taskType: 'noop', payload: { label: 'tick' }, priority: 'medium' });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await one!.system.schedules.remove((await one!.system.schedules.list())[0]!.id);
    const fired = await testDb.db.query<{ slot: string; n: string }>(
      `SELECT data->>'slot' AS slot, count(*) AS n FROM task_events WHERE type = 'schedule.fired' GROUP BY 1`,
    );
    expect(fired.length).toBeGreaterThanOrEqual(2);
    for (const f of fired) expect(Number(f.n)).toBe(1);
    await waitFor(async () => {
      const [row] = await testDb.db.query<{ open: string }>(`SELECT count(*) AS open FROM tasks WHERE status <> 'completed'`);
      return Number(row!.open) === 0;
    });
  });
});
