import { createHmac } from 'node:crypto';
import os from 'node:os';
import request from 'supertest';
import { ProactiveEngine, WebhookNotifier, type WebhookOptions } from '../../src/control-plane/proactive';
import { startTestPlane } from '../helpers/control-plane';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { webhookReceiver as receiver } from '../helpers/webhook-receiver';

/*
 * The proactive webhook against a local receiver: what it sends (json, signed; Slack's
 * documented { text }), once per raise, severity change and resolve however many control planes
 * read the same database, and again after a delivery that failed for good.
 */

jest.setTimeout(60_000);

const THRESHOLDS = { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 };
const SECRET = 'whsec_0123456789abcdef';
const ROUTING_KEY = 'R0123456789abcdef0123456789abcdef';

describe.each(DB_KINDS)('proactive webhook on %s', (kind) => {
  let testDb: TestDb;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const notifiers: WebhookNotifier[] = [];

  beforeAll(async () => {
    testDb = await openTestDb(kind);
  });
  afterAll(async () => {
    await testDb?.drop();
  });
  beforeEach(async () => {
    hook = await receiver();
    await testDb.db.query('DELETE FROM tasks');
    await testDb.db.query('DELETE FROM suggestion_state');
    await testDb.db.query('DELETE FROM webhook_pending_resolves');
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.stop();
    await hook.close();
  });

  function instance(options: Partial<WebhookOptions> = {}, logger = silentLogger(), breaker?: { open: boolean }) {
    const notifier = new WebhookNotifier({ url: hook.url, format: 'json', secret: SECRET, minSeverity: 'warning', backoffMs: 5, ...options }, logger);
    notifiers.push(notifier);
    const dawg = breaker && { get breakerState() { return breaker.open ? ('open' as const) : ('closed' as const); }, breakerOpenedAt: Date.now() };
    const engine = new ProactiveEngine({ sources: { db: testDb.db, agents: true, firewall: false, ...(dawg ? { dawg } : {}) }, thresholds: THRESHOLDS, webhook: notifier, logger: silentLogger() });
    return { engine, notifier, read: async () => (await engine.evaluate(), await notifier.idle()) };
  }
  const events = () => hook.received.map((r) => JSON.parse(r.body) as { event: string; suggestion: { id: string; severity: string; title: string; raisedAt: string } });
  const fail = (n: number) => insertFailedTasks(testDb.db, n, 'key1');
  const clear = () => testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours' WHERE status = 'failed'`);
  const id = 'task-failures:DevOpsEngineer.deploy-service:key1';

  it('sends a raise and a resolve once, however many instances read; the body is signed', async () => {
    const [a, b] = [instance(), instance()];
    await fail(3);
    await Promise.all([a.read(), b.read()]);
    await a.read();
    expect(events().map((e) => `${e.event} ${e.suggestion.id}`)).toEqual([`suggestion.raised ${id}`]);
    const [first] = hook.received;
    expect(first!.path).toBe('/hooks/T000/B000/SECRETPATH');
    expect(first!.headers).toMatchObject({ 'content-type': 'application/json', 'x-jarvis-event': 'suggestion.raised', 'x-jarvis-delivery': expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(first!.headers['x-jarvis-signature']))!;
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${first!.body}`).digest('hex'));
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(events()[0]!.suggestion).toMatchObject({ id, severity: 'warning', title: expect.stringContaining('DevOpsEngineer.deploy-service failed 3 times') });
    expect(JSON.parse(first!.body)).toMatchObject({ instance: `${os.hostname()}:${process.pid}` });

    // More failures at the same severity: news for the dashboard, not for the webhook.
    await fail(1);
    await Promise.all([a.read(), b.read()]);
    expect(hook.received).toHaveLength(1);

    await clear();
    await Promise.all([a.read(), b.read()]);
    await b.read();
    expect(events().map((e) => `${e.event} ${e.suggestion.id}`)).toEqual([`suggestion.raised ${id}`, `suggestion.resolved ${id}`]);
  });

  it('a resolve read by an instance that never had the suggestion is still sent, from what the database holds', async () => {
    await fail(3);
    await instance().read();
    await clear();
    await instance().read(); // a restarted instance: nothing in memory
    const [raised, resolved] = events();
    expect(resolved).toMatchObject({ event: 'suggestion.resolved', suggestion: { id, severity: 'warning', raisedAt: raised!.suggestion.raisedAt } });
  });

  it('sends nothing below the minimum severity', async () => {
    const a = instance({ minSeverity: 'critical' });
    await fail(3);
    await a.read();
    await clear();
    await a.read();
    expect(hook.received).toEqual([]);
  });

  it('retries 5xx and 429 (honouring Retry-After), then a later reading sends what failed for good; never logs the URL path', async () => {
    const { logger, text } = capturingLogger();
    const a = instance({ attempts: 2 }, logger);
    hook.statuses.push({ status: 503 }, { status: 503 });
    await fail(3);
    await a.read();
    expect(hook.received).toHaveLength(2);
    expect(text()).toContain('proactive webhook delivery failed');
    expect(text()).not.toContain('SECRETPATH');

    hook.statuses.push({ status: 429, headers: { 'retry-after': '0' } });
    await a.read();
    expect(events().map((e) => e.event)).toEqual(['suggestion.raised', 'suggestion.raised', 'suggestion.raised', 'suggestion.raised']);
    expect(text()).toContain('proactive webhook delivers again');
    await a.read();
    expect(hook.received).toHaveLength(4);
  });

  it('does not retry a 4xx refusal within a reading', async () => {
    const a = instance();
    hook.statuses.push({ status: 404 });
    await fail(3);
    await a.read();
    expect(hook.received).toHaveLength(1);
    await a.read();
    expect(hook.received).toHaveLength(2);
    expect(hook.received[1]!.headers['x-jarvis-event']).toBe('suggestion.raised');
  });

  it("Slack format: the documented { text } body, unsigned; an instance's own breaker is sent by that instance", async () => {
    const breaker = { open: true };
    const a = instance({ format: 'slack', secret: undefined, minSeverity: 'critical', instance: 'plane-a' }, silentLogger(), breaker);
    await a.read();
    await a.read();
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.headers['x-jarvis-signature']).toBeUndefined();
    const { text } = JSON.parse(hook.received[0]!.body) as { text: string };
    expect(Object.keys(JSON.parse(hook.received[0]!.body) as object)).toEqual(['text']);
    expect(text).toMatch(/^\*\[CRITICAL\]\* The AI DAWG circuit breaker is open on plane-a \(raised, `breaker-open:ai-dawg`\)\n.+\n→ .+/);
    breaker.open = false;
    await a.read();
    expect(JSON.parse(hook.received[1]!.body)).toEqual({ text: expect.stringMatching(/^\*Resolved:\* .* on plane-a \(`breaker-open:ai-dawg`\)$/) });
  });

  it('PagerDuty format: Events API v2 trigger and resolve under the suggestion id; a refusal says why, never the routing key', async () => {
    const { logger, text } = capturingLogger();
    // PagerDuty's answers (Events API v2): 202 accepted; 400 with why.
    const accepted = (dedupKey: string) => ({ status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: dedupKey }) });
    hook.statuses.push(accepted(id), accepted(id));
    const a = instance({ format: 'pagerduty', secret: undefined, routingKey: ROUTING_KEY, instance: 'plane-a', attempts: 1 }, logger);
    await fail(3);
    await a.read();
    await clear();
    await a.read();
    const [trigger, resolve] = hook.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(trigger).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: id,
      client: 'Jarvis',
      payload: {
        summary: expect.stringContaining('DevOpsEngineer.deploy-service failed 3 times'),
        source: 'plane-a',
        severity: 'warning',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        component: 'task-failures',
        group: 'jarvis',
        class: 'task-failures',
        custom_details: expect.objectContaining({ id, message: expect.any(String), action: expect.any(String) }),
      },
    });
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: id });
    expect(hook.received[0]!.headers['x-jarvis-signature']).toBeUndefined();

    // A refused event is not retried (4xx), stays due for a later reading, and the log says why without the key.
    hook.statuses.push({ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] }) });
    await fail(3);
    await a.read();
    expect(hook.received).toHaveLength(3);
    expect(text()).toContain('Event object is invalid; Invalid routing key');
    expect(text()).not.toContain(ROUTING_KEY);
    await a.read();
    expect(hook.received.map((r) => (JSON.parse(r.body) as { event_action: string }).event_action)).toEqual(['trigger', 'resolve', 'trigger', 'trigger']);
  });

  it("PagerDuty format: an instance's own breaker alert is keyed by the instance too", async () => {
    const breaker = { open: true };
    const a = instance({ format: 'pagerduty', secret: undefined, routingKey: ROUTING_KEY, minSeverity: 'critical', instance: 'plane-a' }, silentLogger(), breaker);
    await a.read();
    breaker.open = false;
    await a.read();
    expect(hook.received.map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string; payload?: { severity: string; summary: string } })).toEqual([
      expect.objectContaining({ event_action: 'trigger', dedup_key: 'breaker-open:ai-dawg@plane-a', payload: expect.objectContaining({ severity: 'critical', summary: expect.stringMatching(/ on plane-a$/) }) }),
      { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'breaker-open:ai-dawg@plane-a' },
    ]);
  });

  it('a claim that fails (the database refuses it) holds back no WebSocket push, and is logged', async () => {
    const { logger, text } = capturingLogger();
    const db = new Proxy(testDb.db, {
      get: (target, prop) => (prop === 'query' ? (sql: string, params?: unknown[]) => (sql.includes('WITH old AS') ? Promise.reject(new Error('claim refused')) : target.query(sql, params)) : Reflect.get(target, prop)),
    });
    const notifier = new WebhookNotifier({ url: hook.url, format: 'json', minSeverity: 'warning', backoffMs: 5 }, silentLogger());
    notifiers.push(notifier);
    const engine = new ProactiveEngine({ sources: { db, agents: true, firewall: false }, thresholds: THRESHOLDS, webhook: notifier, logger });
    const pushed: string[] = [];
    engine.onPush((event, s) => pushed.push(`${event} ${s.id}`));
    await fail(3);
    await engine.evaluate();
    expect(pushed).toEqual([`suggestion.raised ${id}`]);
    expect(text()).toContain('proactive webhook: this reading sent nothing');
    expect(text()).toContain('claim refused');
  });

  const pendingResolves = () => testDb.db.query<{ suggestion_id: string }>('SELECT suggestion_id FROM webhook_pending_resolves');
  /** An instance that raised the suggestion, then failed to deliver its resolve (one attempt, answered 500). */
  async function resolveFailedForGood() {
    const a = instance({ attempts: 1 });
    await fail(3);
    await a.read();
    await clear();
    hook.statuses.push({ status: 500 });
    await a.read();
    return a;
  }

  it('a resolve that fails for good is kept and sent by a later reading of any instance, once', async () => {
    const a = await resolveFailedForGood();
    const b = instance();
    expect(await pendingResolves()).toEqual([{ suggestion_id: id }]);
    await b.read();
    await a.read();
    await b.read();
    // The raise, the resolve that failed, the resolve sent again: nothing more.
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved', 'suggestion.resolved']);
    expect(events()[2]!.suggestion).toMatchObject({ id, severity: 'warning' });
    expect(await pendingResolves()).toEqual([]);
  });

  it('a resolve that fails for good during its reading is sent again by the next reading, not by that one', async () => {
    // The reading's own resolve fails (and is made due) before that reading takes the due ones:
    // as on a receiver that answers at once while the database is slow.
    let holdTake = false;
    const db = new Proxy(testDb.db, {
      get: (target, prop) =>
        prop === 'query'
          ? async (sql: string, params?: unknown[]) => {
              if (holdTake && sql.includes('WITH due AS')) {
                const until = Date.now() + 1_000;
                while (Date.now() < until && !(await target.query<{ due: boolean }>('SELECT failed_at <= now() AS due FROM webhook_pending_resolves'))[0]?.due) {
                  await new Promise((r) => setTimeout(r, 10));
                }
              }
              return target.query(sql, params);
            }
          : Reflect.get(target, prop),
    });
    const notifier = new WebhookNotifier({ url: hook.url, format: 'json', minSeverity: 'warning', backoffMs: 5, attempts: 1 }, silentLogger());
    notifiers.push(notifier);
    const engine = new ProactiveEngine({ sources: { db, agents: true, firewall: false }, thresholds: THRESHOLDS, webhook: notifier, logger: silentLogger() });
    const read = async () => (await engine.evaluate(), await notifier.idle());
    await fail(3);
    await read();
    await clear();
    hook.statuses.push({ status: 500 });
    holdTake = true;
    await read();
    holdTake = false;
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved']);
    expect(await pendingResolves()).toEqual([{ suggestion_id: id }]);
    await read();
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved', 'suggestion.resolved']);
    expect(await pendingResolves()).toEqual([]);
  });

  it('a kept resolve leased by a reading whose process died is sent after the lease, and stays kept until it arrives', async () => {
    await resolveFailedForGood();
    // As a reading leaves it when it took the resolve and its process died before sending it.
    await testDb.db.query(`UPDATE webhook_pending_resolves SET failed_at = now() + interval '1 hour'`);
    const b = instance({ attempts: 1 });
    await b.read();
    expect(hook.received).toHaveLength(2);
    await testDb.db.query(`UPDATE webhook_pending_resolves SET failed_at = now() - interval '1 second'`);
    // Due again; this delivery fails too: kept, and due at the next reading.
    hook.statuses.push({ status: 503 });
    await b.read();
    expect(await pendingResolves()).toEqual([{ suggestion_id: id }]);
    await b.read();
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved', 'suggestion.resolved', 'suggestion.resolved']);
    expect(await pendingResolves()).toEqual([]);
  });

  it('a resolve whose process dies before sending it is kept, leased, and sent by another instance after the lease', async () => {
    const a = instance();
    await fail(3);
    await a.read();
    await clear();
    // The reading that deletes the state row; its process dies before the delivery goes out.
    const send = jest.spyOn(a.notifier, 'send').mockImplementation(() => undefined);
    await a.engine.evaluate();
    expect(send).toHaveBeenCalledWith(expect.objectContaining({ event: 'suggestion.resolved' }), expect.any(Function), expect.any(Function));
    const [kept] = await testDb.db.query<{ suggestion: { id: string; severity: string }; leased: boolean }>(
      `SELECT suggestion, failed_at > now() + interval '9 minutes' AS leased FROM webhook_pending_resolves`,
    );
    expect(kept).toEqual({ suggestion: expect.objectContaining({ id, severity: 'warning' }), leased: true });
    const b = instance();
    await b.read();
    expect(hook.received).toHaveLength(1); // still leased to the reading that died
    await testDb.db.query(`UPDATE webhook_pending_resolves SET failed_at = now() - interval '1 second'`);
    await b.read();
    expect(events().map((e) => `${e.event} ${e.suggestion.id}`)).toEqual([`suggestion.raised ${id}`, `suggestion.resolved ${id}`]);
    expect(await pendingResolves()).toEqual([]);
  });

  it('a resolve read by an instance without a webhook is kept for one that has it', async () => {
    await fail(3);
    await instance().read();
    await clear();
    const bare = new ProactiveEngine({ sources: { db: testDb.db, agents: true, firewall: false }, thresholds: THRESHOLDS, logger: silentLogger() });
    await bare.evaluate();
    expect(await pendingResolves()).toEqual([{ suggestion_id: id }]);
    await testDb.db.query(`UPDATE webhook_pending_resolves SET failed_at = now() - interval '1 second'`);
    await instance().read();
    expect(events().map((e) => e.event)).toEqual(['suggestion.raised', 'suggestion.resolved']);
    expect(await pendingResolves()).toEqual([]);
  });

  it('a kept resolve whose suggestion was raised and sent again meanwhile is dropped', async () => {
    const a = await resolveFailedForGood();
    // Another instance raised it again and sent that raise before any reading took the resolve.
    await fail(3);
    await testDb.db.query(`INSERT INTO suggestion_state (suggestion_id, raised_at, notified_severity) VALUES ($1, now(), 'warning')`, [id]);
    await a.read();
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved']);
    expect(await pendingResolves()).toEqual([]);
  });

  it("an instance's own resolve that fails for good is sent again by its next reading", async () => {
    const breaker = { open: true };
    const a = instance({ attempts: 1, minSeverity: 'critical' }, silentLogger(), breaker);
    await a.read();
    breaker.open = false;
    hook.statuses.push({ status: 500 });
    await a.read();
    await a.read();
    await a.read();
    expect(hook.received.map((r) => r.headers['x-jarvis-event'])).toEqual(['suggestion.raised', 'suggestion.resolved', 'suggestion.resolved']);
  });

  it('stop() gives up what is queued at once, and a later reading sends it', async () => {
    const a = instance({ attempts: 5, backoffMs: 60_000 });
    hook.statuses.push({ status: 500 });
    await fail(3);
    await a.engine.evaluate();
    const started = Date.now();
    await a.notifier.stop();
    expect(Date.now() - started).toBeLessThan(30_000);
    const b = instance();
    await b.read();
    expect(events().map((e) => e.event)).toEqual(['suggestion.raised', 'suggestion.raised']);
  });
});

describe('POST /api/v1/suggestions/webhook/test', () => {
  it('sends one signed test message and says what the webhook answered; admins only', async () => {
    const hook = await receiver();
    const plane = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_WEBHOOK_URL: hook.url, PROACTIVE_WEBHOOK_SECRET: SECRET } });
    try {
      const ok = await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
      expect(ok.body).toEqual({ delivered: true, target: new URL(hook.url).host, status: 200, ms: expect.any(Number) });
      const [sent] = hook.received;
      expect(JSON.parse(sent!.body)).toMatchObject({ event: 'webhook.test', deliveryId: sent!.headers['x-jarvis-delivery'] });
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(sent!.headers['x-jarvis-signature']))!;
      expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${sent!.body}`).digest('hex'));

      hook.statuses.push({ status: 500 });
      const failed = await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.adminKey}`).expect(502);
      expect(failed.body.error).toMatchObject({ code: 'WEBHOOK_FAILED', details: { delivered: false, status: 500, reason: 'HTTP 500' } });
      expect(hook.received).toHaveLength(2); // one attempt, no retries
      expect(JSON.stringify(failed.body)).not.toContain('SECRETPATH');
      await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.userKey}`).expect(403);
    } finally {
      await plane.stop();
      await hook.close();
    }
  });

  it('PagerDuty: the test triggers an info alert and resolves it at once; a refused key says why', async () => {
    const hook = await receiver();
    const plane = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_WEBHOOK_URL: hook.url, PROACTIVE_WEBHOOK_FORMAT: 'pagerduty', PROACTIVE_PAGERDUTY_ROUTING_KEY: ROUTING_KEY } });
    try {
      hook.statuses.push({ status: 202, body: '{"status":"success"}' }, { status: 202, body: '{"status":"success"}' });
      const ok = await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
      expect(ok.body).toMatchObject({ delivered: true, status: 202 });
      const [trigger, resolve] = hook.received.map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string; payload?: { severity: string } });
      expect(trigger).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', payload: { severity: 'info' } });
      expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger!.dedup_key });

      hook.statuses.push({ status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] }) });
      const refused = await request(plane.app).post('/api/v1/suggestions/webhook/test').set('authorization', `Bearer ${plane.adminKey}`).expect(502);
      expect(refused.body.error.details).toMatchObject({ delivered: false, status: 400, reason: 'HTTP 400: Event object is invalid; Invalid routing key' });
      expect(hook.received).toHaveLength(3); // no resolve for a trigger that was refused
      expect(JSON.stringify(refused.body)).not.toContain(ROUTING_KEY);
    } finally {
      await plane.stop();
      await hook.close();
    }
  });
});
