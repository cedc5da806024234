import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { EmailNotifier, emailSubject, emailText, ProactiveEngine, WebhookNotifier, type EmailOptions } from '../../src/control-plane/proactive';
import { loadControlPlaneConfig } from '../../src/control-plane/config';
import { startTestPlane } from '../helpers/control-plane';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { insertFailedTasks } from '../helpers/failed-tasks';
import { insertExpiringApproval } from '../helpers/approvals';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { samples } from '../helpers/prom-samples';
import { SERVICE_TOKEN } from '../helpers/servers';

/*
 * Proactive e-mail against a local SMTP server (smtp-server, nodemailer's own server library):
 * one mail per raise and resolve to every recipient however many control planes read the same
 * database, all mails about one suggestion in one thread, retries of what the server refuses
 * for the moment, a later reading for what it refused for good, and its own record apart from
 * the webhook's.
 */

jest.setTimeout(60_000);

const PASSWORD = 'smtp-p@ss word';
const TO = ['ops@example.com', 'oncall@example.com'];

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP server needing PASSWORD; `refuse` holds the replies (code, text) its next DATA commands get instead of taking the mail. */
async function smtpServer() {
  const received: Mail[] = [];
  const refuse: Array<{ code: number; text: string }> = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'jarvis' && auth.password === PASSWORD) callback(null, { user: 'jarvis' });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        const refusal = refuse.shift();
        if (refusal) return callback(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
        const from = session.envelope.mailFrom;
        received.push({ from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: (password = PASSWORD) => `smtp://jarvis:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    received,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header of a raw message, unfolded. */
const header = (raw: string, name: string) => new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r\n[ \t]+/g, ' ');
/** The plain-text body (nodemailer's quoted-printable undone, enough for these ASCII messages). */
const body = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/=\r\n/g, '').replace(/=3D/g, '=');

const THRESHOLDS = { failureThreshold: 3, failureWindowMs: 3_600_000, approvalWarnMs: 120_000, scheduleGraceMs: 900_000, burnWindowDays: 7 };
const id = 'task-failures:DevOpsEngineer.deploy-service:key1';

describe.each(DB_KINDS)('proactive e-mail on %s', (kind) => {
  let testDb: TestDb;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  const notifiers: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    smtp = await smtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
    await testDb?.drop();
  });
  beforeEach(async () => {
    smtp.received.length = 0;
    smtp.refuse.length = 0;
    await testDb.db.query('DELETE FROM tasks');
    await testDb.db.query('DELETE FROM suggestion_state');
    await testDb.db.query('DELETE FROM email_pending_resolves');
    await testDb.db.query('DELETE FROM webhook_pending_resolves');
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.stop();
  });

  function instance(options: Partial<EmailOptions> = {}, logger = silentLogger(), webhook?: WebhookNotifier) {
    const email = new EmailNotifier({ url: smtp.url(), from: 'Jarvis <jarvis@example.com>', to: TO, minSeverity: 'warning', backoffMs: 5, timeoutMs: 5_000, instance: 'plane-a', ...options }, logger);
    notifiers.push(email);
    const engine = new ProactiveEngine({ sources: { db: testDb.db, agents: true, firewall: false }, thresholds: THRESHOLDS, email, ...(webhook ? { webhook } : {}), logger: silentLogger() });
    return { engine, email, read: async () => (await engine.evaluate(), await email.idle(), await webhook?.idle()) };
  }
  const fail = (n: number) => insertFailedTasks(testDb.db, n, 'key1');
  const clear = () => testDb.db.query(`UPDATE tasks SET finished_at = now() - interval '2 hours' WHERE status = 'failed'`);
  const subjects = () => smtp.received.map((m) => header(m.raw, 'Subject'));

  it('mails a raise and a resolve once to every recipient, however many instances read; both in one thread', async () => {
    const [a, b] = [instance(), instance()];
    await fail(3);
    await Promise.all([a.read(), b.read()]);
    await a.read();
    await fail(1); // more failures at the same severity: not news for e-mail
    await Promise.all([a.read(), b.read()]);
    expect(subjects()).toEqual([expect.stringMatching(/^\[Jarvis\] WARNING: DevOpsEngineer\.deploy-service failed 3 times/)]);
    const [raised] = smtp.received;
    expect(raised!.from).toBe('jarvis@example.com');
    expect(raised!.to).toEqual(TO);
    expect(header(raised!.raw, 'X-Jarvis-Event')).toBe('suggestion.raised');
    expect(header(raised!.raw, 'X-Jarvis-Suggestion')).toBe(id);
    expect(header(raised!.raw, 'X-Jarvis-Severity')).toBe('warning');
    const text = body(raised!.raw);
    expect(text).toContain('What to do: ');
    expect(text).toContain(`Suggestion: ${id}`);
    expect(text).toContain('Sent by: plane-a');

    await clear();
    await Promise.all([a.read(), b.read()]);
    await b.read();
    expect(subjects()).toEqual([expect.stringMatching(/^\[Jarvis\] WARNING: /), expect.stringMatching(/^\[Jarvis\] Resolved: DevOpsEngineer\.deploy-service failed/)]);
    const thread = header(raised!.raw, 'References');
    expect(thread).toMatch(/^<suggestion\.[0-9a-f]{32}@example\.com>$/);
    expect(header(raised!.raw, 'Message-ID')).toMatch(/^<[0-9a-f-]{36}@example\.com>$/);
    expect(header(smtp.received[1]!.raw, 'References')).toBe(thread);
    expect(header(smtp.received[1]!.raw, 'In-Reply-To')).toBe(thread);
    expect(header(raised!.raw, 'Message-ID')).not.toBe(header(smtp.received[1]!.raw, 'Message-ID'));
  });

  it("retries what the server refuses for the moment (4xx); what it refuses for good (5xx) waits for a later reading; the log never holds the password", async () => {
    const { logger, text } = capturingLogger();
    const a = instance({ attempts: 3 }, logger);
    smtp.refuse.push({ code: 451, text: 'Try again later' });
    await fail(3);
    await a.read();
    expect(subjects()).toHaveLength(1);

    await clear();
    smtp.refuse.push({ code: 554, text: 'Transaction failed' });
    await a.read();
    expect(subjects()).toHaveLength(1);
    expect(text()).toContain('proactive e-mail delivery failed');
    expect(text()).toContain('SMTP 554');
    // The resolve is kept and sent by the next reading once the lease allows: here, at once.
    await testDb.db.query("UPDATE email_pending_resolves SET failed_at = now() - interval '1 second'");
    await a.read();
    expect(subjects()).toEqual([expect.stringMatching(/WARNING/), expect.stringMatching(/^\[Jarvis\] Resolved: /)]);
    expect(text()).toContain('proactive e-mail delivers again');
    expect(text()).not.toContain(PASSWORD);
  });

  it('a server refusing the credentials is not retried within a reading, says why, and never shows the password', async () => {
    const { logger, text } = capturingLogger();
    const a = instance({ url: smtp.url('wrong-password'), attempts: 3 }, logger);
    await fail(3);
    await a.read();
    expect(smtp.received).toHaveLength(0);
    expect(text()).toMatch(/EAUTH|535/);
    expect(text()).not.toContain('wrong-password');
    // Fixed (the next start of a plane with the right password): the raise still goes out.
    const b = instance();
    await b.read();
    expect(subjects()).toEqual([expect.stringMatching(/^\[Jarvis\] WARNING: /)]);
  });

  it('keeps its own record apart from the webhook: a webhook failing for good neither holds back nor repeats an e-mail', async () => {
    // A webhook nobody answers.
    const webhook = new WebhookNotifier({ url: 'http://127.0.0.1:9/hook', format: 'json', minSeverity: 'warning', attempts: 1, timeoutMs: 1_000 }, silentLogger());
    notifiers.push(webhook);
    const a = instance({}, silentLogger(), webhook);
    await fail(3);
    await a.read();
    await a.read();
    expect(subjects()).toHaveLength(1);
    const [state] = await testDb.db.query<{ notified_severity: string | null; email_notified_severity: string | null }>('SELECT notified_severity, email_notified_severity FROM suggestion_state WHERE suggestion_id = $1', [id]);
    expect(state).toEqual({ notified_severity: null, email_notified_severity: 'warning' });
  });

  it('sends nothing below its minimum severity', async () => {
    const a = instance({ minSeverity: 'critical' });
    await fail(3);
    await a.read();
    await clear();
    await a.read();
    expect(smtp.received).toEqual([]);
  });
});

describe('the message', () => {
  const suggestion = { id, kind: 'task-failures' as const, severity: 'critical' as const, title: 'deploy failed 5 times', message: 'Five deploys failed.', action: 'Read the deploy logs.', signal: { failures: 5, lastError: 'health check failed' }, raisedAt: '2026-12-06T10:00:00.000Z', updatedAt: '2026-12-06T10:05:00.000Z' };

  it('says what changed in the subject, and the figures in the body', () => {
    expect(emailSubject({ event: 'suggestion.raised', suggestion }, 'plane-a')).toBe('[Jarvis] CRITICAL: deploy failed 5 times');
    expect(emailSubject({ event: 'suggestion.updated', suggestion }, 'plane-a')).toBe('[Jarvis] now CRITICAL: deploy failed 5 times');
    expect(emailSubject({ event: 'suggestion.resolved', suggestion }, 'plane-a')).toBe('[Jarvis] Resolved: deploy failed 5 times');
    expect(emailSubject({ event: 'suggestion.raised', suggestion, local: true }, 'plane-a')).toBe('[Jarvis] CRITICAL: deploy failed 5 times on plane-a');
    const text = emailText({ event: 'suggestion.updated', suggestion }, 'plane-a');
    expect(text).toContain('Severity: critical (changed)');
    expect(text).toContain('Five deploys failed.');
    expect(text).toContain('What to do: Read the deploy logs.');
    expect(text).toContain('  failures: 5');
    expect(text).toContain('  lastError: health check failed');
    expect(text).toContain('Raised: 2026-12-06T10:00:00.000Z; updated 2026-12-06T10:05:00.000Z');
    expect(emailText({ event: 'suggestion.resolved', suggestion }, 'plane-a')).not.toContain('failures: 5');
  });
});

describe('configuration and the test route', () => {
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  beforeAll(async () => {
    smtp = await smtpServer();
  });
  afterAll(() => smtp?.close());

  it('PROACTIVE_EMAIL_TO needs SMTP_URL and SMTP_FROM, and names a bad address', () => {
    const base = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_EMAIL_TO: 'ops@example.com' })).toThrow(/SMTP_URL: is required with PROACTIVE_EMAIL_TO/);
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_EMAIL_TO: 'ops@example.com', SMTP_URL: 'smtp://mail.example.com' })).toThrow(/SMTP_FROM: is required with SMTP_URL/);
    expect(() => loadControlPlaneConfig({ ...base, PROACTIVE_EMAIL_TO: 'ops@example.com, not-an-address', SMTP_URL: 'smtp://mail.example.com', SMTP_FROM: 'j@example.com' })).toThrow(/PROACTIVE_EMAIL_TO\.1: each recipient must be an e-mail address/);
    expect(() => loadControlPlaneConfig({ ...base, SMTP_URL: 'http://mail.example.com', SMTP_FROM: 'j@example.com' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
    const config = loadControlPlaneConfig({ ...base, PROACTIVE_EMAIL_TO: 'ops@example.com,oncall@example.com', PROACTIVE_EMAIL_MIN_SEVERITY: 'critical', SMTP_URL: 'smtp://mail.example.com:587', SMTP_FROM: 'Jarvis <j@example.com>' });
    expect(config.proactive.email).toEqual({ url: 'smtp://mail.example.com:587', from: 'Jarvis <j@example.com>', to: ['ops@example.com', 'oncall@example.com'], minSeverity: 'critical' });
    // SMTP alone (the DAWG's campaign e-mail): no suggestion e-mail.
    expect(loadControlPlaneConfig({ ...base, SMTP_URL: 'smtp://mail.example.com:587', SMTP_FROM: 'j@example.com' }).proactive.email).toBeUndefined();
  });

  it('counts deliveries by channel, event and outcome on /metrics, and says while a channel is failing', async () => {
    const plane = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_EMAIL_TO: 'ops@example.com', SMTP_URL: smtp.url(), SMTP_FROM: 'jarvis@example.com' } });
    const scrape = async () => (await request(plane.app).get('/metrics').set('authorization', `Bearer ${plane.adminKey}`).expect(200)).text;
    const read = async () => (await plane.proactive!.evaluate(), await plane.proactive!.email!.idle());
    try {
      expect(samples(await scrape(), 'jarvis_notification_channel_failing')).toEqual(new Map([['{channel="email"}', 0]]));
      const approvalId = await insertExpiringApproval(plane.testDb.db);
      await read();
      let text = await scrape();
      expect(samples(text, 'jarvis_notification_deliveries_total')).toEqual(new Map([['{channel="email",event="suggestion.raised",outcome="delivered"}', 1]]));
      expect(samples(text, 'jarvis_notification_attempts_total')).toEqual(new Map([['{channel="email"}', 1]]));

      // The approval is gone (the signal clears) while the server refuses every attempt of the resolve.
      smtp.refuse.push(...Array.from({ length: 3 }, () => ({ code: 451, text: 'Try again later' })));
      await plane.testDb.db.query('DELETE FROM command_approvals WHERE id = $1', [approvalId]);
      await read();
      text = await scrape();
      expect(samples(text, 'jarvis_notification_deliveries_total').get('{channel="email",event="suggestion.resolved",outcome="failed"}')).toBe(1);
      expect(samples(text, 'jarvis_notification_attempts_total')).toEqual(new Map([['{channel="email"}', 4]]));
      expect(samples(text, 'jarvis_notification_channel_failing')).toEqual(new Map([['{channel="email"}', 1]]));

      // The channels route says the same, with the reason; the webhook is not configured.
      const channels = await request(plane.app).get('/api/v1/suggestions/channels').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
      expect(channels.body).toEqual({
        channels: [
          { channel: 'webhook', configured: false, howTo: expect.stringContaining('PROACTIVE_WEBHOOK_URL') },
          {
            channel: 'email', configured: true, minSeverity: 'warning', server: `127.0.0.1:${smtp.port}`, from: 'jarvis@example.com', recipients: ['ops@example.com'],
            failing: true, delivered: 1, failed: 1, lastDeliveredAt: expect.stringMatching(/^\d{4}-/), since: expect.stringMatching(/^\d{4}-/),
            lastFailure: { at: expect.stringMatching(/^\d{4}-/), event: 'suggestion.resolved', suggestion: `approval-expiring:${approvalId}`, reason: expect.stringContaining('SMTP 451'), instance: expect.any(String) },
          },
        ],
      });
      expect(JSON.stringify(channels.body)).not.toContain(PASSWORD);
      await request(plane.app).get('/api/v1/suggestions/channels').set('authorization', `Bearer ${plane.userKey}`).expect(403);
    } finally {
      await plane.stop();
    }
  });

  it('POST /api/v1/suggestions/email/test mails the recipients now and says what the server answered; 502 with why (no password), 409 unconfigured', async () => {
    const plane = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_EMAIL_TO: TO.join(','), SMTP_URL: smtp.url(), SMTP_FROM: 'jarvis@example.com' } });
    const wrong = await startTestPlane({ kind: 'pglite', env: { PROACTIVE_EMAIL_TO: 'ops@example.com', SMTP_URL: smtp.url('not-it'), SMTP_FROM: 'jarvis@example.com' } });
    const none = await startTestPlane({ kind: 'pglite' });
    try {
      const ok = await request(plane.app).post('/api/v1/suggestions/email/test').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
      expect(ok.body).toEqual({ delivered: true, server: `127.0.0.1:${smtp.port}`, recipients: TO, messageId: expect.stringMatching(/^<.+>$/), ms: expect.any(Number) });
      expect(smtp.received.at(-1)).toMatchObject({ to: TO });
      expect(header(smtp.received.at(-1)!.raw, 'Subject')).toMatch(/^\[Jarvis\] E-mail test from /);
      await request(plane.app).post('/api/v1/suggestions/email/test').set('authorization', `Bearer ${plane.userKey}`).expect(403);

      const refused = await request(wrong.app).post('/api/v1/suggestions/email/test').set('authorization', `Bearer ${wrong.adminKey}`).expect(502);
      expect(refused.body.error).toMatchObject({ code: 'EMAIL_FAILED', details: { delivered: false, reason: expect.stringMatching(/535|EAUTH/) } });
      expect(JSON.stringify(refused.body)).not.toContain('not-it');

      const unconfigured = await request(none.app).post('/api/v1/suggestions/email/test').set('authorization', `Bearer ${none.adminKey}`).expect(409);
      expect(unconfigured.body.error.code).toBe('EMAIL_NOT_CONFIGURED');
    } finally {
      await plane.stop();
      await wrong.stop();
      await none.stop();
    }
  });
});
