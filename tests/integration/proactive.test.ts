import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { utcMonth } from '../../src/control-plane/ai-router/budget-service';
import { isQuiet, ProactiveEngine, type MonitoringSource } from '../../src/control-plane/proactive';
import type { Principal } from '../../src/control-plane/auth';
import { insertExpiringApproval } from '../helpers/approvals';
import { DB_KINDS, openTestDb } from '../helpers/db';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { startTestPlane, listenWithHub, type TestPlane } from '../helpers/control-plane';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { TestSocket } from '../helpers/ws-client';

/*
 * The proactive system from real signals: rows in the tables the services write (failed tasks,
 * the AI ledger and spend, pending approvals, schedules) and a real open breaker (the DAWG URL
 * points at a closed port). Every suggestion carries the signal's figures, is pushed over the
 * WebSocket hub to who may see it, and resolves when the signal clears; quiet hours hold pushes.
 */

jest.setTimeout(60_000);

let plane: TestPlane;
let server: Awaited<ReturnType<typeof listenWithHub>>;
const sockets: TestSocket[] = [];
const keyIdOf = (key: string) => key.split('_')[1]!;
const admin = (): Principal => ({ kind: 'api-key', id: keyIdOf(plane.adminKey), scopes: ['admin', 'devops'] });

beforeAll(async () => {
  plane = await startTestPlane({ kind: 'pglite', env: { AI_ROUTER_MONTHLY_BUDGET: '10', AI_DAWG_BREAKER_RESET_MS: '60000' } });
  server = await listenWithHub(plane);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server?.close();
  await plane?.stop();
});

async function connect(key: string): Promise<TestSocket> {
  const socket = await TestSocket.open(server.wsUrl, { headers: { authorization: `Bearer ${key}` } });
  sockets.push(socket);
  await socket.waitFor((m) => m.type === 'ready');
  await socket.request({ type: 'subscribe', channel: 'suggestions' });
  return socket;
}

const failTasks = (n: number, createdBy: string, agent?: string, taskType?: string) => insertFailedTasks(plane.testDb.db, n, createdBy, agent, taskType);

describe('suggestions from injected signals', () => {
  it('raises nothing without a signal', async () => {
    await plane.proactive!.evaluate();
    const { body } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(body).toEqual({ suggestions: [] });
  });

  it('repeated failures of a capability: raised with the figures, pushed to the owner and admins only, resolved when they age out', async () => {
    const userSocket = await connect(plane.userKey);
    const adminSocket = await connect(plane.adminKey);
    const other = await plane.apiKeys.create('other', []);
    const otherSocket = await connect(other.key);
    const user = keyIdOf(plane.userKey);
    const ids = await failTasks(3, user);
    await failTasks(2, keyIdOf(other.key)); // under the threshold of 3

    expect(await plane.proactive!.evaluate()).toMatchObject({ raised: 1, quiet: false });
    const pushed = await userSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.raised');
    expect(pushed).toMatchObject({
      channel: 'suggestions',
      data: {
        id: `task-failures:DevOpsEngineer.deploy-service:${user}`,
        kind: 'task-failures',
        severity: 'warning',
        signal: { agent: 'DevOpsEngineer', taskType: 'deploy-service', failures: 3, errorCodes: ['DEPLOY_FAILED'], keyId: user },
      },
    });
    expect(new Set((pushed as unknown as { data: { signal: { taskIds: string[] } } }).data.signal.taskIds)).toEqual(new Set(ids));
    await adminSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.raised');
    await expect(otherSocket.waitFor((m) => m.type === 'event' && m.channel === 'suggestions', 300)).rejects.toThrow('no matching message');

    const { body: mine } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(mine.suggestions.map((s: { id: string }) => s.id)).toEqual([`task-failures:DevOpsEngineer.deploy-service:${user}`]);
    const { body: theirs } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${other.key}`).expect(200);
    expect(theirs.suggestions).toEqual([]);

    // A fourth failure updates the figures; the failures ageing out of the window resolve it.
    await failTasks(1, user);
    expect(await plane.proactive!.evaluate()).toMatchObject({ updated: 1 });
    expect(await userSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.updated')).toMatchObject({ data: { signal: { failures: 4 } } });
    await plane.testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours' WHERE status = 'failed'`);
    expect(await plane.proactive!.evaluate()).toMatchObject({ resolved: 1 });
    await userSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.resolved');
  });

  it('budget burn: the projection passes the budget, with the day it runs out; a user can dismiss what is theirs', async () => {
    const now = new Date();
    const month = utcMonth(now);
    // $9.99 of the $10 global budget, settled in the last minutes (the ledger's first row, so the
    // window is its floor of one day): $9.99/day ends the month over budget unless less than
    // 87 s of it are left (with $9 it was 2.7 h, and the test failed at every month's end).
    // A pending reservation of $50 is not spend and must not count in the rate.
    await plane.testDb.db.query(
      `INSERT INTO ai_ledger (request_id, attempt, created_at, month, provider, model_key, model, cost_usd, caller_key_id, outcome)
       VALUES ($1, 1, now() - interval '5 minutes', $2, 'openai', 'gpt-4o', 'gpt-4o', 9.99, $3, 'ok'), ($4, 1, now() - interval '1 minute', $2, 'openai', 'gpt-4o', 'gpt-4o', 50, $3, 'pending')`,
      [randomUUID(), month, keyIdOf(plane.userKey), randomUUID()],
    );
    await plane.testDb.db.query(`INSERT INTO ai_spend (scope, month, spent_usd) VALUES ('global', $1, 9.99), ($2, $1, 9.99)`, [month, `key:${keyIdOf(plane.userKey)}`]);
    await plane.proactive!.evaluate();
    const { body } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    const burn = body.suggestions.find((s: { kind: string }) => s.kind === 'budget-burn');
    expect(burn).toMatchObject({ id: 'budget-burn:global', severity: 'warning', signal: { scope: 'global', spentUsd: 9.99, limitUsd: 10, ratePerDayUsd: 9.99, windowDays: 1 } });
    const daysLeft = (Date.parse(burn.signal.monthEnd) - Date.parse(burn.raisedAt)) / 86_400_000;
    expect(burn.signal.projectedUsd).toBeCloseTo(9.99 + 9.99 * daysLeft, 1);
    // The remaining $0.01 at $9.99/day: 86.5 s after the evaluation.
    expect(Date.parse(burn.signal.runsOutAt) - Date.parse(burn.raisedAt)).toBeCloseTo((0.01 / 9.99) * 86_400_000, -3);
    expect(burn.message).toContain('$9.99 of $10.00');
    // The global budget is the admins' concern; a key budget would be the key's.
    const { body: userView } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(userView.suggestions.map((s: { id: string }) => s.id)).not.toContain('budget-burn:global');
    await request(plane.app).post('/api/v1/suggestions/budget-burn:global/dismiss').set('authorization', `Bearer ${plane.userKey}`).expect(404);

    await plane.ai.budgets.setKeyLimit(keyIdOf(plane.userKey), 8);
    await plane.proactive!.evaluate();
    const { body: withKey } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    const mine = `budget-burn:key:${keyIdOf(plane.userKey)}`;
    expect(withKey.suggestions.map((s: { id: string }) => s.id)).toContain(mine);
    await request(plane.app).post(`/api/v1/suggestions/${mine}/dismiss`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    const { body: after } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(after.suggestions.map((s: { id: string }) => s.id)).not.toContain(mine);
    await request(plane.app).post('/api/v1/suggestions/x/dismiss').set('authorization', `Bearer ${plane.userKey}`).expect(400);
    await plane.testDb.db.query('DELETE FROM ai_spend');
    await plane.testDb.db.query('DELETE FROM ai_ledger');
    await plane.proactive!.evaluate();
  });

  it('a pending approval near expiry, the AI DAWG breaker open and an idle schedule', async () => {
    const approvalId = await insertExpiringApproval(plane.testDb.db);
    // The DAWG is at a closed port: calls fail until the breaker opens.
    for (let i = 0; i < 6; i++) await plane.moduleRouter.execute({ module: 'testing', action: 'health-check', params: {} }).catch(() => undefined);
    expect(plane.moduleRouter.breakerState).toBe('open');
    // An AI provider failing every call: its breaker opens after three.
    for (let i = 0; i < 3; i++) await plane.ai.breakers.fire('mistral', () => Promise.reject(new Error('connect ECONNREFUSED'))).catch(() => undefined);
    const schedule = await plane.agents!.schedules.create({ name: 'nightly-check', cron: '0 3 * * *', timezone: 'UTC', agent: 'QualityAssurance', taskType: 'system-health-check', payload: {}, priority: 'low' }, keyIdOf(plane.userKey));
    await plane.testDb.db.query(`UPDATE task_schedules SET next_run_at = now() - interval '2 hours' WHERE id = $1`, [schedule.id]);

    await plane.proactive!.evaluate();
    const { body } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    const byKind = Object.fromEntries(body.suggestions.map((s: { kind: string }) => [s.kind, s]));
    expect(byKind['approval-expiring']).toMatchObject({ signal: { approvalId, command: 'kubectl', requestedBy: 'key_x' } });
    expect(byKind['approval-expiring'].signal.secondsLeft).toBeGreaterThan(0);
    const byId = Object.fromEntries(body.suggestions.map((s: { id: string }) => [s.id, s]));
    expect(byId['breaker-open:ai-dawg']).toMatchObject({ severity: 'critical', signal: { breaker: 'ai-dawg', state: 'open' } });
    // Opened by these calls, or before them by the engine's own readings of the DAWG's monitoring rules.
    expect(Date.parse(byId['breaker-open:ai-dawg'].signal.openedAt)).toBe(plane.moduleRouter.breakerOpenedAt);
    expect(plane.moduleRouter.breakerOpenedAt).toBeLessThanOrEqual(Date.now());
    const provider = byId['breaker-open:provider:mistral'];
    expect(provider).toMatchObject({ severity: 'warning', signal: { breaker: 'provider:mistral', state: 'open' } });
    expect(Date.parse(provider.signal.retryAt) - Date.parse(provider.signal.openedAt)).toBe(30_000); // AI_ROUTER_BREAKER_COOLDOWN_MS
    expect(byKind['schedule-idle']).toMatchObject({ signal: { scheduleId: schedule.id, name: 'nightly-check' } });
    expect(byKind['schedule-idle'].signal.overdueMinutes).toBeGreaterThanOrEqual(119);
    expect(body.suggestions[0].severity).toBe('critical');
    // The owner sees their schedule, not the approval or the breaker.
    const { body: userView } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(userView.suggestions.map((s: { kind: string }) => s.kind)).toEqual(['schedule-idle']);

    // A second later only clock-driven figures have moved (seconds left): listed fresh, not pushed.
    const adminSocket = await connect(plane.adminKey);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await plane.proactive!.evaluate()).toMatchObject({ raised: 0, updated: 0, resolved: 0 });
    const { body: later } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    const approvalLater = later.suggestions.find((s: { kind: string }) => s.kind === 'approval-expiring');
    expect(approvalLater.signal.secondsLeft).toBeLessThan(byKind['approval-expiring'].signal.secondsLeft);
    expect(approvalLater.updatedAt).toBe(byKind['approval-expiring'].updatedAt);

    await plane.testDb.db.query(`UPDATE command_approvals SET status = 'denied' WHERE id = $1`, [approvalId]);
    await plane.testDb.db.query(`UPDATE task_schedules SET enabled = false WHERE id = $1`, [schedule.id]);
    expect(await plane.proactive!.evaluate()).toMatchObject({ resolved: 2 });
    const resolved = await adminSocket.waitFor((m) => m.type === 'event' && m.event === 'suggestion.resolved');
    expect(['approval-expiring', 'schedule-idle']).toContain((resolved as unknown as { data: { kind: string } }).data.kind);
    const { body: cleared } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(cleared.suggestions.map((s: { id: string }) => s.id).sort()).toEqual(['breaker-open:ai-dawg', 'breaker-open:provider:mistral']);

    // A breaker is this instance's own: dismissing it hides it here, and stores nothing that
    // another instance (whose breaker may be closed) would act on.
    await request(plane.app).post('/api/v1/suggestions/breaker-open:ai-dawg/dismiss').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    const { body: dismissed } = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(dismissed.suggestions.map((s: { id: string }) => s.id)).toEqual(['breaker-open:provider:mistral']);
    expect(await plane.testDb.db.query(`SELECT * FROM suggestion_dismissals WHERE suggestion_id LIKE 'breaker-open:%'`)).toEqual([]);
  });
});

describe('quiet hours', () => {
  it('knows a window that wraps midnight, in a time zone', () => {
    const q = { startMinute: 22 * 60, endMinute: 7 * 60, timeZone: 'Europe/Berlin' };
    expect(isQuiet(q, new Date('2026-12-05T22:30:00Z'))).toBe(true); // 23:30 in Berlin
    expect(isQuiet(q, new Date('2026-12-05T05:59:00Z'))).toBe(true); // 06:59
    expect(isQuiet(q, new Date('2026-12-05T06:00:00Z'))).toBe(false); // 07:00
    expect(isQuiet({ startMinute: 60, endMinute: 120, timeZone: 'UTC' }, new Date('2026-12-05T01:30:00Z'))).toBe(true);
    expect(isQuiet(undefined, new Date())).toBe(false);
  });

  it('holds pushes during quiet hours and delivers what is still active when they end', async () => {
    let now = new Date('2026-12-05T23:00:00Z');
    const engine = new ProactiveEngine({
      sources: { db: plane.testDb.db, agents: true, firewall: true },
      thresholds: { failureThreshold: 3, failureWindowMs: 12 * 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 },
      quietHours: { startMinute: 22 * 60, endMinute: 7 * 60, timeZone: 'UTC' },
      logger: silentLogger(),
      now: () => now,
    });
    const pushed: string[] = [];
    engine.onPush((event, s, visibleTo) => pushed.push(`${event} ${s.id} ${s.signal.failures} ${visibleTo(admin())}`));
    await plane.testDb.db.query(`DELETE FROM tasks`);
    const user = keyIdOf(plane.userKey);
    const fail = async (n: number, taskType: string, at: string) => {
      for (let i = 0; i < n; i++) {
        await plane.testDb.db.query(
          `INSERT INTO tasks (id, agent, task_type, priority, payload, status, error, attempts, max_attempts, timeout_ms, resumable, created_by, finished_at)
           VALUES ($1, 'DataScientist', $2, 'medium', '{}', 'failed', '{"code":"X","message":"boom"}', 1, 1, 1000, true, $3, $4)`,
          [`tsk_${randomUUID()}`, taskType, user, at],
        );
      }
    };
    const churn = `task-failures:DataScientist.predict-churn:${user}`;
    const segment = `task-failures:DataScientist.segment-users:${user}`;
    await fail(3, 'predict-churn', '2026-12-05T22:50:00Z');
    expect(await engine.evaluate()).toMatchObject({ raised: 1, quiet: true });
    expect((await engine.list(admin())).map((s) => s.id)).toEqual([churn]); // listed at once
    // 01:30: churn's failures are gone (raised and resolved within the quiet hours: never pushed);
    // segment-users fails 3 times, then a 4th time before the end.
    now = new Date('2026-12-06T01:30:00Z');
    await plane.testDb.db.query(`DELETE FROM tasks WHERE task_type = 'predict-churn'`);
    await fail(3, 'segment-users', '2026-12-06T01:20:00Z');
    expect(await engine.evaluate()).toMatchObject({ raised: 1, resolved: 1, quiet: true });
    now = new Date('2026-12-06T06:59:00Z');
    await fail(1, 'segment-users', '2026-12-06T06:00:00Z');
    expect(await engine.evaluate()).toMatchObject({ updated: 1, quiet: true });
    expect(pushed).toEqual([]);
    // 07:00: what is still active is delivered once, with its latest figures.
    now = new Date('2026-12-06T07:00:00Z');
    expect(await engine.evaluate()).toMatchObject({ raised: 0, updated: 0, resolved: 0, quiet: false });
    expect(pushed).toEqual([`suggestion.raised ${segment} 4 true`]);
    await engine.evaluate();
    expect(pushed).toHaveLength(1);
    await plane.testDb.db.query(`DELETE FROM tasks`);
  });
});

describe('dismissals', () => {
  const engineOnSharedDb = () =>
    new ProactiveEngine({
      sources: { db: plane.testDb.db, agents: true, firewall: true },
      thresholds: { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 },
      logger: silentLogger(),
    });
  const stored = async () => (await plane.testDb.db.query<{ suggestion_id: string; key_id: string }>('SELECT suggestion_id, key_id FROM suggestion_dismissals ORDER BY 1, 2')).map((r) => `${r.suggestion_id} ${r.key_id}`);

  it('are shared by every instance, survive a restart, and end when the signal clears', async () => {
    await plane.testDb.db.query('DELETE FROM tasks');
    await plane.testDb.db.query('DELETE FROM suggestion_dismissals');
    const userId = keyIdOf(plane.userKey);
    const user: Principal = { kind: 'api-key', id: userId, scopes: [] };
    const id = `task-failures:DevOpsEngineer.deploy-service:${userId}`;
    const [a, b] = [engineOnSharedDb(), engineOnSharedDb()];
    const pushedByB: string[] = [];
    b.onPush((event, s, visibleTo) => pushedByB.push(`${event} ${s.id} user:${visibleTo(user)} admin:${visibleTo(admin())}`));
    await failTasks(3, userId);
    await a.evaluate();
    await b.evaluate();
    expect((await b.list(user)).map((s) => s.id)).toEqual([id]);

    // Dismissed through instance A: instance B's list hides it at once, its pushes after its next reading.
    await a.dismiss(id, user);
    expect(await stored()).toEqual([`${id} ${userId}`]);
    expect(await b.list(user)).toEqual([]);
    expect((await b.list(admin())).map((s) => s.id)).toEqual([id]); // the admin did not dismiss it
    await failTasks(1, userId);
    expect(await b.evaluate()).toMatchObject({ updated: 1 });
    expect(pushedByB.at(-1)).toBe(`suggestion.updated ${id} user:false admin:true`);

    // A restarted instance (nothing in memory) raises it again, still hidden from the key.
    const restarted = engineOnSharedDb();
    expect(await restarted.evaluate()).toMatchObject({ raised: 1 });
    expect(await restarted.list(user)).toEqual([]);
    await expect(restarted.dismiss(id, user)).resolves.toMatchObject({ id }); // again: no duplicate row
    expect(await stored()).toEqual([`${id} ${userId}`]);

    // The signal clears: the first reading that no longer finds it ends the dismissal, so the
    // suggestion shows again when the failures come back.
    await plane.testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours' WHERE status = 'failed'`);
    expect(await restarted.evaluate()).toMatchObject({ resolved: 1 });
    expect(await stored()).toEqual([]);
    await failTasks(3, userId);
    await a.evaluate();
    expect((await a.list(user)).map((s) => s.id)).toEqual([id]);
    await plane.testDb.db.query('DELETE FROM tasks');
  });

  it('a reading never ends a dismissal made after it began (the suggestion may be one it has not seen yet)', async () => {
    await plane.testDb.db.query('DELETE FROM suggestion_dismissals');
    const unseen = 'task-failures:DataScientist.predict-churn:k1';
    await plane.testDb.db.query(
      `INSERT INTO suggestion_dismissals (suggestion_id, key_id, dismissed_at) VALUES ($1, 'newer', now() + interval '1 minute'), ($1, 'older', now() - interval '1 second')`,
      [unseen],
    );
    await engineOnSharedDb().evaluate();
    expect(await stored()).toEqual([`${unseen} newer`]);
    await plane.testDb.db.query('DELETE FROM suggestion_dismissals');
  });

  it.each(DB_KINDS)('on %s, a reading that began in the very instant of a dismissal ends it (whatever the clock or driver cuts)', async (kind) => {
    // PGlite's clock ticks in milliseconds; node-postgres turns a timestamp into a Date, which
    // drops PostgreSQL's microseconds. The reading's start is pinned to the dismissal's exact
    // instant (a millisecond and a half past a whole one) and goes through the real driver.
    const testDb = kind === 'pglite' ? plane.testDb : await openTestDb(kind);
    try {
      const cleared = 'task-failures:DataScientist.predict-churn:k2';
      const [{ at }] = (await testDb.db.query<{ at: string }>(
        `INSERT INTO suggestion_dismissals (suggestion_id, key_id, dismissed_at) VALUES ($1, 'k2', date_trunc('milliseconds', now()) + interval '1500 microseconds') RETURNING dismissed_at::text AS at`,
        [cleared],
      )) as [{ at: string }];
      const db = new Proxy(testDb.db, {
        get: (target, prop) => (prop === 'query' ? (text: string, params?: unknown[]) => target.query(text.replace(/^SELECT now\(\)/, `SELECT '${at}'::timestamptz`), params) : Reflect.get(target, prop)),
      });
      await new ProactiveEngine({ sources: { db, agents: true, firewall: true }, thresholds: { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 }, logger: silentLogger() }).evaluate();
      expect(await testDb.db.query('SELECT * FROM suggestion_dismissals WHERE suggestion_id = $1', [cleared])).toEqual([]);
    } finally {
      if (testDb !== plane.testDb) await testDb.drop();
    }
  });
});

describe('monitoring alerts and SLOs (the DAWG evaluates the rules at each reading)', () => {
  type Reading = NonNullable<Awaited<ReturnType<MonitoringSource['evaluate']>>>;
  const firing = (over: Partial<Reading['alerts'][number]> = {}): Reading['alerts'][number] => ({
    name: 'many-5xx',
    state: 'firing',
    severity: 'critical',
    value: 12,
    op: '>',
    threshold: 5,
    for: 60,
    pendingSince: '2026-12-06T08:00:00.000Z',
    firingSince: '2026-12-06T08:01:00.000Z',
    ...over,
  });
  const breaching: Reading['slos'][number] = {
    name: 'api-availability',
    status: 'breaching',
    objective: 99,
    window: '30d',
    sli: 0.9,
    good: 90,
    total: 100,
    errorBudgetRemaining: -9,
    burnRate: 10,
    period: { start: '2026-12-01T00:00:00.000Z' },
  };

  /** An engine whose monitoring source answers `next` (or throws it, when it is an Error). */
  function engineWith(next: () => Reading | undefined | Error, now?: () => Date) {
    const monitoring: MonitoringSource = {
      evaluate: async () => {
        const value = next();
        if (value instanceof Error) throw value;
        return value;
      },
    };
    const { logger, lines } = capturingLogger();
    const engine = new ProactiveEngine({
      sources: { db: plane.testDb.db, agents: false, firewall: false, monitoring },
      thresholds: { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 },
      logger,
      ...(now ? { now } : {}),
    });
    return { engine, lines };
  }

  it('raises a firing alert and a breaching SLO for admins, with the figures; resolves them when they clear', async () => {
    let reading: Reading = { evaluatedAt: '2026-12-06T08:02:00.000Z', alerts: [firing(), { ...firing({ name: 'quiet', state: 'pending', firingSince: null }) }], slos: [breaching, { ...breaching, name: 'fine', status: 'ok' }] };
    const { engine } = engineWith(() => reading);
    const pushed: string[] = [];
    engine.onPush((event, s, visibleTo) => pushed.push(`${event} ${s.id} ${s.severity} admin:${visibleTo(admin())} user:${visibleTo({ kind: 'api-key', id: keyIdOf(plane.userKey), scopes: [] })}`));

    expect(await engine.evaluate()).toMatchObject({ raised: 2 });
    const listed = await engine.list(admin());
    expect(listed.map((s) => [s.id, s.kind, s.severity])).toEqual([
      ['monitoring:many-5xx', 'monitoring', 'critical'],
      ['monitoring:api-availability', 'monitoring', 'critical'],
    ]);
    expect(listed[0]).toMatchObject({
      title: 'Alert many-5xx is firing',
      message: 'Its value 12 is > 5 since 2026-12-06T08:01:00.000Z.',
      signal: { rule: 'many-5xx', type: 'alert', value: 12, threshold: 5, forSeconds: 60, firingSince: '2026-12-06T08:01:00.000Z' },
    });
    expect(listed[1]).toMatchObject({
      title: 'SLO api-availability is below its objective',
      signal: { rule: 'api-availability', type: 'slo', sli: 0.9, objective: 99, good: 90, total: 100, errorBudgetRemaining: -9 },
    });
    expect(listed[1]!.message).toMatch(/^90 of 100 events were good since 2026-12-01T00:00:00.000Z \(SLI 90 %, objective 99 % over 30d\)/);
    expect(await engine.list({ kind: 'api-key', id: keyIdOf(plane.userKey), scopes: [] })).toEqual([]);
    expect(pushed).toEqual(['suggestion.raised monitoring:many-5xx critical admin:true user:false', 'suggestion.raised monitoring:api-availability critical admin:true user:false']);

    // The value moves every minute: listed fresh, not pushed. A new firing is news.
    reading = { ...reading, alerts: [firing({ value: 14 })] };
    expect(await engine.evaluate()).toMatchObject({ raised: 0, updated: 0, resolved: 0 });
    expect((await engine.list(admin()))[0]!.signal.value).toBe(14);
    reading = { ...reading, alerts: [firing({ firingSince: '2026-12-06T09:00:00.000Z' })] };
    expect(await engine.evaluate()).toMatchObject({ updated: 1 });

    reading = { evaluatedAt: '2026-12-06T09:05:00.000Z', alerts: [firing({ state: 'ok', firingSince: null, pendingSince: null })], slos: [] };
    expect(await engine.evaluate()).toMatchObject({ resolved: 2 });
    expect(await engine.list(admin())).toEqual([]);
  });

  it('keeps what it raised while the DAWG cannot say, logs that once, and resolves only on a real reading', async () => {
    let next: Reading | Error = { evaluatedAt: '2026-12-06T08:02:00.000Z', alerts: [firing()], slos: [] };
    const { engine, lines } = engineWith(() => next);
    expect(await engine.evaluate()).toMatchObject({ raised: 1 });

    next = new Error('AI DAWG unavailable');
    for (let i = 0; i < 3; i++) expect(await engine.evaluate()).toMatchObject({ raised: 0, resolved: 0 });
    expect((await engine.list(admin())).map((s) => s.id)).toEqual(['monitoring:many-5xx']);
    const warned = lines().filter((l) => l.message === 'a proactive signal could not be read; its suggestions stay as they were');
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', kind: 'monitoring', reason: 'AI DAWG unavailable' })]);

    next = { evaluatedAt: '2026-12-06T08:10:00.000Z', alerts: [], slos: [] };
    expect(await engine.evaluate()).toMatchObject({ resolved: 1 });
    expect(lines().some((l) => l.message === 'a proactive signal can be read again' && l.kind === 'monitoring')).toBe(true);
  });

  it('an instance that cannot read the rules leaves the dismissals made on another one alone', async () => {
    await plane.testDb.db.query('DELETE FROM suggestion_dismissals');
    const reading: Reading = { evaluatedAt: '2026-12-06T08:02:00.000Z', alerts: [firing()], slos: [] };
    const a = engineWith(() => reading).engine;
    let bAnswers: Reading | Error = new Error('AI DAWG unavailable');
    const b = engineWith(() => bAnswers).engine;
    await a.evaluate();
    await a.dismiss('monitoring:many-5xx', admin());
    const stored = async () => (await plane.testDb.db.query<{ suggestion_id: string }>('SELECT suggestion_id FROM suggestion_dismissals')).map((r) => r.suggestion_id);
    expect(await stored()).toEqual(['monitoring:many-5xx']);

    // B started during the outage: it never saw the suggestion, and must not take its dismissal for stale.
    await b.evaluate();
    expect(await stored()).toEqual(['monitoring:many-5xx']);
    bAnswers = reading;
    await b.evaluate();
    expect(await b.list(admin())).toEqual([]);
    expect(await stored()).toEqual(['monitoring:many-5xx']);

    // Once the alert stops firing, the dismissal ends with it.
    bAnswers = { ...reading, alerts: [] };
    await b.evaluate();
    expect(await stored()).toEqual([]);
  });

  it('the time a suggestion was raised is the same on every instance and after a restart, until its signal clears', async () => {
    await plane.testDb.db.query('DELETE FROM suggestion_state');
    let reading: Reading = { evaluatedAt: '2026-12-06T08:02:00.000Z', alerts: [firing()], slos: [] };
    const at = (iso: string) => () => new Date(iso);
    const raisedAt = async (engine: ProactiveEngine) => {
      await engine.evaluate();
      return (await engine.list(admin())).find((s) => s.id === 'monitoring:many-5xx')?.raisedAt;
    };
    expect(await raisedAt(engineWith(() => reading, at('2026-12-06T08:02:00.000Z')).engine)).toBe('2026-12-06T08:02:00.000Z');
    // Another instance, and a restarted one, read it later: raised when the first one saw it.
    expect(await raisedAt(engineWith(() => reading, at('2026-12-06T08:12:00.000Z')).engine)).toBe('2026-12-06T08:02:00.000Z');
    const restarted = engineWith(() => reading, at('2026-12-06T09:00:00.000Z')).engine;
    expect(await raisedAt(restarted)).toBe('2026-12-06T08:02:00.000Z');

    // The signal clears: the next reading forgets it, and it is raised afresh when it returns.
    reading = { ...reading, alerts: [] };
    await restarted.evaluate();
    expect(await plane.testDb.db.query("SELECT suggestion_id FROM suggestion_state WHERE suggestion_id LIKE 'monitoring:%'")).toEqual([]);
    reading = { ...reading, alerts: [firing()] };
    expect(await raisedAt(engineWith(() => reading, at('2026-12-06T10:00:00.000Z')).engine)).toBe('2026-12-06T10:00:00.000Z');
  });

  it('two findings for one subject do not break the reading', async () => {
    // The DAWG keeps alert and SLO names apart; a reading that does not is still read.
    const { engine } = engineWith(() => ({ evaluatedAt: '2026-12-06T08:02:00.000Z', alerts: [firing({ name: 'twice' })], slos: [{ ...breaching, name: 'twice' }] }));
    await engine.evaluate();
    expect((await engine.list(admin())).map((s) => s.id)).toEqual(['monitoring:twice']);
  });

  it('a DAWG without the devops module has nothing to watch', async () => {
    const { engine } = engineWith(() => undefined);
    expect(await engine.evaluate()).toMatchObject({ raised: 0, resolved: 0 });
    expect(await engine.list(admin())).toEqual([]);
  });
});
