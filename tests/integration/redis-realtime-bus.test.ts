import { connectRedis, type RedisClient } from '../../src/common/kv';
import { RedisRealtimeBus } from '../../src/control-plane/realtime';
import type { HubMessage } from '../../src/control-plane/realtime/hub-events';
import { TEST_REDIS_URL, uniqueName } from '../helpers/db';
import { capturingLogger, silentLogger } from '../helpers/logger';

/**
 * The Redis fan-out between control planes, against the real Redis: every instance sees every
 * other's events once and in order, also when its reading connection or its writing connection
 * is cut (node-redis reconnects after 100 ms, and fails commands meanwhile).
 */

jest.setTimeout(30_000);

const event = (n: number): HubMessage => ({ kind: 'tasks', event: 'task.created', data: { jobId: `tsk_${n}` }, at: new Date().toISOString() }) as unknown as HubMessage;
const jobIds = (messages: HubMessage[]) => messages.map((m) => (m.data as { jobId: string }).jobId);
const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('RedisRealtimeBus (a Redis stream)', () => {
  let admin: RedisClient;
  const clients: RedisClient[] = [];
  const buses: RedisRealtimeBus[] = [];
  let prefix: string;

  const client = async () => {
    const c = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const open = async (redis: RedisClient, logger = silentLogger()) => {
    const bus = await RedisRealtimeBus.open({ redis, keyPrefix: prefix, logger });
    buses.push(bus);
    const seen: HubMessage[] = [];
    bus.onMessage((m) => seen.push(m));
    return { bus, seen };
  };
  /** Cuts the connections of this test's readers (CLIENT KILL): they reconnect 100 ms later. */
  const cutReaders = async () => {
    const list = String(await admin.sendCommand(['CLIENT', 'LIST']));
    const ids = list.split('\n').filter((l) => l.includes(` name=jarvis-realtime-reader:${prefix} `)).map((l) => /\bid=(\d+)/.exec(l)![1]!);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await admin.sendCommand(['CLIENT', 'KILL', 'ID', id]);
  };

  beforeAll(async () => {
    admin = await client();
  });
  beforeEach(() => {
    prefix = `${uniqueName('rtb')}:`;
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    await admin.sendCommand(['DEL', `${prefix}realtime:stream`]);
  });
  afterAll(async () => {
    for (const c of clients) if (c.isOpen) c.destroy();
  });

  it('delivers each event to its own instance at once and to every other once, in order', async () => {
    const a = await open(await client());
    const b = await open(await client());
    for (let n = 0; n < 20; n++) a.bus.publish(event(n));
    b.bus.publish(event(100));
    await until(() => b.seen.length === 21 && a.seen.length === 21);
    // Its own events at once, the other's in the order they were appended.
    expect(jobIds(a.seen)).toEqual([...Array.from({ length: 20 }, (_, n) => `tsk_${n}`), 'tsk_100']);
    expect(jobIds(b.seen)).toEqual(['tsk_100', ...Array.from({ length: 20 }, (_, n) => `tsk_${n}`)]);
  });

  it('an instance whose reading connection is cut reads what it missed when it is back', async () => {
    const { logger, text } = capturingLogger();
    const a = await open(await client());
    const b = await open(await client(), logger);
    a.bus.publish(event(0));
    await until(() => b.seen.length === 1);
    await cutReaders();
    // Appended while B's reader is gone (it comes back after 100 ms).
    for (let n = 1; n <= 50; n++) a.bus.publish(event(n));
    await until(() => b.seen.length === 51);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(jobIds(b.seen)).toEqual(Array.from({ length: 51 }, (_, n) => `tsk_${n}`));
    expect(text()).toContain('realtime reader cut off from Redis');
  });

  it('events an instance could not append while its connection was cut are appended when it is back, in order', async () => {
    const writer = await client();
    const { logger, text } = capturingLogger();
    const a = await open(writer, logger);
    const b = await open(await client());
    const writerId = String(await writer.sendCommand(['CLIENT', 'ID']));
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', writerId]);
    for (let n = 0; n < 30; n++) a.bus.publish(event(n));
    await until(() => b.seen.length === 30);
    expect(jobIds(b.seen)).toEqual(Array.from({ length: 30 }, (_, n) => `tsk_${n}`));
    expect(jobIds(a.seen)).toHaveLength(30); // its own clients had them at once
    expect(text()).toContain('realtime events kept until Redis takes them again');
    expect(text()).toContain('realtime events reach other instances again');
  });

  it('says when entries it never read were trimmed while it was cut off', async () => {
    const { logger, text } = capturingLogger();
    const a = await open(await client());
    const small = await RedisRealtimeBus.open({ redis: await client(), keyPrefix: prefix, logger, maxLength: 5 });
    buses.push(small);
    const seen: HubMessage[] = [];
    small.onMessage((m) => seen.push(m));
    a.bus.publish(event(0));
    await until(() => seen.length === 1);
    await cutReaders();
    // Exact trimming (XTRIM MAXLEN 5 after many appends) while the reader is away.
    for (let n = 1; n <= 300; n++) a.bus.publish(event(n));
    await admin.sendCommand(['XTRIM', `${prefix}realtime:stream`, 'MAXLEN', '5']);
    await until(() => text().includes('trimmed past the last event this instance read'));
    await until(() => jobIds(seen).includes('tsk_300'));
  });

  it('ignores an entry it cannot read', async () => {
    const { logger, text } = capturingLogger();
    const b = await open(await client(), logger);
    await admin.sendCommand(['XADD', `${prefix}realtime:stream`, '*', 'e', '{"v":2}']);
    const a = await open(await client());
    a.bus.publish(event(1));
    await until(() => b.seen.length === 1);
    expect(text()).toContain('malformed realtime event ignored');
  });
});
