import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadDawgConfig } from '../../src/dawg/config';
import { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';
import { createEngagementModule } from '../../src/dawg/modules/engagement';
import { createEmailChannel, createMarketingModule } from '../../src/dawg/modules/marketing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { loadChurnFixture } from '../helpers/churn-fixture';
import { silentLogger } from '../helpers/logger';
import { SERVICE_TOKEN } from '../helpers/servers';

// The marketing channel "email" against a local SMTP server (smtp-server, nodemailer's own
// server library): authenticated, one message per recipient, refusals and bad credentials
// marking messages failed without leaking the password.

const PASSWORD = 's3cret-p@ss word';
const url = (port: number, password = PASSWORD) => `smtp://jarvis:${encodeURIComponent(password)}@127.0.0.1:${port}`;

interface Received {
  from: string;
  to: string[];
  raw: string;
}

let server: SMTPServer;
let port: number;
const received: Received[] = [];
let dir: string;
let store: AnalyticsStore;
let registry: ModuleRegistry;
let seg: string;
const channels: Array<{ close(): void }> = [];

beforeAll(async () => {
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'jarvis' && auth.password === PASSWORD) callback(null, { user: 'jarvis' });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address === 'u2@example.invalid') callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        received.push({ from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;

  dir = await mkdtemp(path.join(tmpdir(), 'marketing-email-'));
  store = await AnalyticsStore.open({ file: ':memory:', filesDir: dir });
  await loadChurnFixture(store);
  const email = createEmailChannel({ url: url(port), from: 'Jarvis <news@example.com>', timeoutMs: 5_000 });
  const wrongPassword = createEmailChannel({ url: url(port, 'not-the-password'), from: 'news@example.com', timeoutMs: 5_000 });
  const nobodyListens = createEmailChannel({ url: 'smtp://jarvis:secret-of-a-dead-server@127.0.0.1:9', from: 'news@example.com', timeoutMs: 2_000 });
  channels.push(email, wrongPassword, nobodyListens);
  const now = () => new Date('2025-03-02T08:00:00Z');
  registry = new ModuleRegistry();
  registry.register(createMarketingModule({ store, now, channels: { email, 'wrong-password': wrongPassword, 'no-server': nobodyListens } }));
  registry.register(createEngagementModule({ store, now }));
  seg = (await call('segment-audience', { goal: 'win back' })).segmentationId;
});

afterAll(async () => {
  for (const c of channels) c.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<R = Record<string, any>>(action: string, params: Record<string, unknown>): Promise<R> {
  const response = await registry.execute({ module: 'marketing', action, params }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger() });
  return response.result as R;
}
const templates = [{ segment: 'default', subject: 'Hi {{first_name}}', body: 'Thanks for being on {{plan}}' }];
const messagesOf = (campaignId: string) =>
  store.all<{ user_id: string; status: string; provider_id: string | null; error: string | null }>(
    'SELECT user_id, status, provider_id, error FROM jarvis.campaign_messages WHERE campaign_id = $1 ORDER BY user_id',
    [campaignId],
  );

test('sends each message as plain-text e-mail, authenticated; a refused mailbox fails alone', async () => {
  const c = await call('create-campaign', { name: 'By mail', segmentationId: seg, templates, channel: 'email', startDate: '2025-03-03' });
  const run = await call('send-due', { now: '2025-03-04T00:00:00Z', campaignId: c.campaignId });
  expect(run).toMatchObject({ sent: 4, failed: 1 });
  const rows = await messagesOf(c.campaignId);
  expect(rows.map((r) => [r.user_id, r.status])).toEqual([['u1', 'sent'], ['u2', 'failed'], ['u3', 'sent'], ['u4', 'sent'], ['u5', 'sent']]);
  expect(rows[1]!.error).toMatch(/SMTP server did not take the message.*No such mailbox/);
  for (const r of rows.filter((x) => x.status === 'sent')) expect(r.provider_id).toMatch(/^<.+@.+>$/);

  // In send-time order; one envelope per recipient.
  expect(received.map((m) => m.to.join()).sort()).toEqual(['u1@example.invalid', 'u3@example.invalid', 'u4@example.invalid', 'u5@example.invalid']);
  const first = received[0]!;
  expect(first.from).toBe('news@example.com');
  expect(first.raw).toMatch(/^From: Jarvis <news@example\.com>\r$/m);
  expect(first.raw).toMatch(/^Subject: Hi \S+\r$/m);
  expect(first.raw).toMatch(new RegExp(`^X-Jarvis-Campaign: ${c.campaignId}\\r$`, 'm'));
  expect(first.raw).toMatch(/^Content-Type: text\/plain/m);
  expect(first.raw).toContain('Thanks for being on');
});

test('bad credentials or no server: every message failed, saying why, without the password', async () => {
  for (const channel of ['wrong-password', 'no-server']) {
    const before = received.length;
    const c = await call('create-campaign', { name: `Via ${channel}`, segmentationId: seg, templates, channel, startDate: '2025-04-01' });
    expect(await call('send-due', { now: '2025-04-02T00:00:00Z', campaignId: c.campaignId })).toMatchObject({ sent: 0, failed: 5 });
    const rows = await messagesOf(c.campaignId);
    expect(rows.every((r) => r.status === 'failed' && /SMTP server did not take the message/.test(r.error ?? ''))).toBe(true);
    expect(JSON.stringify(rows)).not.toMatch(/not-the-password|secret-of-a-dead-server/);
    expect(received.length).toBe(before);
  }
});

test('a recipient that is not an e-mail address fails before anything is sent', async () => {
  const email = createEmailChannel({ url: url(port), from: 'news@example.com' });
  channels.push(email);
  await expect(email.send({ messageId: 'm1', campaignId: 'c1', userId: 'u1', to: 'not an address', subject: 's', body: 'b' })).rejects.toThrow('"not an address" is not an e-mail address');
});

test('SMTP_URL and SMTP_FROM go together, each checked', () => {
  const base = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  expect(loadDawgConfig({ ...base, SMTP_URL: 'smtps://u:p@mail.example.com:465', SMTP_FROM: 'Jarvis <news@example.com>' }).smtp).toEqual({ url: 'smtps://u:p@mail.example.com:465', from: 'Jarvis <news@example.com>' });
  expect(loadDawgConfig(base).smtp).toBeUndefined();
  expect(() => loadDawgConfig({ ...base, SMTP_URL: 'smtp://mail.example.com' })).toThrow(/SMTP_FROM: is required with SMTP_URL/);
  expect(() => loadDawgConfig({ ...base, SMTP_FROM: 'news@example.com' })).toThrow(/SMTP_URL: is required with SMTP_FROM/);
  expect(() => loadDawgConfig({ ...base, SMTP_URL: 'https://mail.example.com', SMTP_FROM: 'news@example.com' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
  expect(() => loadDawgConfig({ ...base, SMTP_URL: 'smtp://mail.example.com', SMTP_FROM: 'Jarvis <not-an-address>' })).toThrow(/SMTP_FROM: must be an e-mail address/);
});
