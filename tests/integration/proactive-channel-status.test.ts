import { EmailNotifier, ProactiveEngine, WebhookNotifier } from '../../src/control-plane/proactive';
import { ChannelStatusStore } from '../../src/control-plane/proactive/channel-status';
import type { DeliveryOutcome } from '../../src/control-plane/proactive/delivery-queue';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { webhookReceiver } from '../helpers/webhook-receiver';

/*
 * What GET /api/v1/suggestions/channels says about a channel is shared by every control plane on
 * the database and kept across restarts: whichever instance claimed a suggestion sent it, so the
 * one asked may never have sent anything itself.
 */

jest.setTimeout(60_000);

const THRESHOLDS = { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 };
const ID = 'task-failures:DevOpsEngineer.deploy-service:key1';

describe.each(DB_KINDS)('proactive channel status on %s', (kind) => {
  let testDb: TestDb;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const engines: ProactiveEngine[] = [];

  beforeAll(async () => {
    testDb = await openTestDb(kind);
  });
  afterAll(async () => {
    await testDb?.drop();
  });
  beforeEach(async () => {
    hook = await webhookReceiver();
    for (const table of ['tasks', 'suggestion_state', 'webhook_pending_resolves', 'notification_channel_status']) await testDb.db.query(`DELETE FROM ${table}`);
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop();
    await hook.close();
  });

  function plane(name: string) {
    const webhook = new WebhookNotifier({ url: hook.url, format: 'json', minSeverity: 'warning', attempts: 1, backoffMs: 5, instance: name }, silentLogger());
    const engine = new ProactiveEngine({ sources: { db: testDb.db, agents: true, firewall: false }, thresholds: THRESHOLDS, webhook, logger: silentLogger() });
    engines.push(engine);
    return { engine, read: async () => (await engine.evaluate(), await engine.settled()), webhookStatus: async () => (await engine.channels()).find((c) => c.channel === 'webhook')! };
  }

  it('an instance that sent nothing shows what another sent and why it failed; a restart keeps it; the next delivery ends failing', async () => {
    const a = plane('plane-a');
    const b = plane('plane-b');
    expect(await b.webhookStatus()).toMatchObject({ configured: true, failing: false, delivered: 0, failed: 0, lastDeliveredAt: null, lastFailure: null, since: null });

    await insertFailedTasks(testDb.db, 3, 'key1');
    await a.read(); // a claims the raise and sends it
    await b.read(); // b sees it sent: nothing to send
    expect(hook.received.length).toBe(1);
    expect(await b.webhookStatus()).toMatchObject({ failing: false, delivered: 1, failed: 0, lastDeliveredAt: expect.stringMatching(/^\d{4}-/), since: expect.stringMatching(/^\d{4}-/) });

    // The signal clears; a's resolve is refused.
    await testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours'`);
    hook.statuses.push({ status: 500 });
    await a.read();
    const failing = await b.webhookStatus();
    expect(failing).toMatchObject({ failing: true, delivered: 1, failed: 1, lastFailure: { event: 'suggestion.resolved', suggestion: ID, reason: expect.stringContaining('500'), instance: 'plane-a', at: expect.stringMatching(/^\d{4}-/) } });

    // A restarted instance reads the same.
    const c = plane('plane-c');
    expect(await c.webhookStatus()).toEqual(failing);

    // b sends the kept resolve once it is due: the channel works again, the failure stays on record.
    await testDb.db.query(`UPDATE webhook_pending_resolves SET failed_at = now() - interval '1 second'`);
    await b.read();
    expect(hook.received.length).toBe(3);
    expect(await a.engine.channels()).toContainEqual(expect.objectContaining({ channel: 'webhook', failing: false, delivered: 2, failed: 1, lastFailure: expect.objectContaining({ instance: 'plane-a' }) }));
  });

  it('an instance restarted with the channel fixed (another URL) shows nothing of the old target\'s failure', async () => {
    const broken = plane('plane-a');
    await insertFailedTasks(testDb.db, 3, 'key1');
    hook.statuses.push({ status: 404 });
    await broken.read();
    expect(await broken.webhookStatus()).toMatchObject({ failing: true, failed: 1 });
    // Same receiver under another path: another target, as after fixing PROACTIVE_WEBHOOK_URL.
    const webhook = new WebhookNotifier({ url: `${hook.url}/fixed`, format: 'json', minSeverity: 'warning', attempts: 1, backoffMs: 5, instance: 'plane-a' }, silentLogger());
    const fixed = new ProactiveEngine({ sources: { db: testDb.db, agents: true, firewall: false }, thresholds: THRESHOLDS, webhook, logger: silentLogger() });
    engines.push(fixed);
    expect((await fixed.channels()).find((c) => c.channel === 'webhook')).toMatchObject({ failing: false, delivered: 0, failed: 0, lastFailure: null, since: null });
    // The old instance, still configured for the broken URL, keeps seeing its own record.
    expect(await broken.webhookStatus()).toMatchObject({ failing: true });
  });

  it('the newest outcome decides whether a channel is failing, whichever arrives last; counts add up', async () => {
    const store = new ChannelStatusStore(testDb.db, silentLogger());
    const outcome = (at: string, failed: boolean, instance: string): DeliveryOutcome => ({
      channel: 'email', event: 'suggestion.raised', outcome: failed ? 'failed' : 'delivered', attempts: 1, suggestion: 'budget-burn:x', at, instance, target: 'mailbox-a', ...(failed ? { reason: `SMTP 451 at ${at}` } : {}),
    });
    store.record(outcome('2026-12-06T10:00:02.000Z', false, 'plane-b'));
    store.record(outcome('2026-12-06T10:00:01.000Z', true, 'plane-a')); // older, written later
    let email = ChannelStatusStore.of(await store.read(), 'email', 'mailbox-a');
    expect(email).toMatchObject({ failing: false, delivered: 1, failed: 1, lastDeliveredAt: '2026-12-06T10:00:02.000Z', lastFailure: { at: '2026-12-06T10:00:01.000Z', instance: 'plane-a' } });
    store.record(outcome('2026-12-06T10:00:03.000Z', true, 'plane-b'));
    store.record(outcome('2026-12-06T10:00:00.500Z', true, 'plane-a')); // an older failure replaces neither
    email = ChannelStatusStore.of(await store.read(), 'email', 'mailbox-a');
    expect(email).toMatchObject({ failing: true, delivered: 1, failed: 3, lastDeliveredAt: '2026-12-06T10:00:02.000Z', lastFailure: { at: '2026-12-06T10:00:03.000Z', reason: 'SMTP 451 at 2026-12-06T10:00:03.000Z', instance: 'plane-b' } });
    expect(ChannelStatusStore.of(await store.read(), 'webhook', 'hook-a')).toMatchObject({ failing: false, delivered: 0, since: null });
    // Read for another target (this instance is configured elsewhere): nothing about it yet.
    expect(ChannelStatusStore.of(await store.read(), 'email', 'mailbox-b')).toMatchObject({ failing: false, delivered: 0, failed: 0, lastFailure: null, since: null });
    // A delivery to the new target starts the record afresh.
    store.record({ ...outcome('2026-12-06T10:00:04.000Z', false, 'plane-a'), target: 'mailbox-b' });
    expect(ChannelStatusStore.of(await store.read(), 'email', 'mailbox-b')).toMatchObject({ failing: false, delivered: 1, failed: 0, lastFailure: null });
    expect(ChannelStatusStore.of(await store.read(), 'email', 'mailbox-a')).toMatchObject({ delivered: 0, since: null });
  });

  it('a record that cannot be written is logged once, until writing works again; deliveries go on', async () => {
    let refuse = true;
    const db = new Proxy(testDb.db, {
      get: (target, prop) =>
        prop === 'query' ? (sql: string, params?: unknown[]) => (refuse && sql.includes('notification_channel_status AS s') ? Promise.reject(new Error('disk full')) : target.query(sql, params)) : Reflect.get(target, prop),
    });
    const { logger, lines } = capturingLogger();
    const store = new ChannelStatusStore(db, logger);
    const outcome: DeliveryOutcome = { channel: 'webhook', event: 'suggestion.raised', outcome: 'delivered', attempts: 1, suggestion: ID, at: new Date().toISOString(), instance: 'plane-a', target: 'hook-a' };
    store.record(outcome);
    store.record(outcome);
    await store.idle();
    expect(lines().filter((l) => l.level === 'warn')).toEqual([expect.objectContaining({ message: expect.stringContaining('could not be recorded'), channel: 'webhook', reason: 'disk full' })]);
    refuse = false;
    store.record(outcome);
    expect(ChannelStatusStore.of(await store.read(), 'webhook', 'hook-a')).toMatchObject({ delivered: 1 });
    expect(lines().map((l) => l.message)).toContain('proactive channels: their status is recorded again');
  });
});

test('a channel\'s fingerprint follows where it sends, never its credentials, and shows none of it', async () => {
  const email = (url: string, to = ['ops@example.com']) => new EmailNotifier({ url, from: 'jarvis@example.com', to, minSeverity: 'warning' }, silentLogger());
  const webhook = (url: string, routingKey?: string) => new WebhookNotifier({ url, format: routingKey ? 'pagerduty' : 'json', minSeverity: 'warning', ...(routingKey ? { routingKey } : {}) }, silentLogger());
  const a = email('smtp://jarvis:first-password@mail.example.com:587');
  expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  expect(email('smtp://jarvis:rotated-password@mail.example.com:587').fingerprint).toBe(a.fingerprint);
  expect(email('smtp://jarvis:first-password@mail.example.com:587', ['oncall@example.com']).fingerprint).not.toBe(a.fingerprint);
  expect(email('smtp://jarvis:first-password@other.example.com:587').fingerprint).not.toBe(a.fingerprint);
  const hook = webhook('https://hooks.slack.com/services/T000/B000/SECRET1');
  expect(webhook('https://hooks.slack.com/services/T000/B000/SECRET2').fingerprint).not.toBe(hook.fingerprint);
  expect(webhook('https://events.pagerduty.com/v2/enqueue', 'R1').fingerprint).not.toBe(webhook('https://events.pagerduty.com/v2/enqueue', 'R2').fingerprint);
  for (const n of [a, hook]) await n.stop();
});
