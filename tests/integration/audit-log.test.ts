import type { Db } from '../../src/common/db';
import { connectRedis, type RedisClient } from '../../src/common/kv';
import { AuditLog, GENESIS_HASH, type AuditEntry } from '../../src/control-plane/audit';
import { DB_KINDS, openTestDb, TEST_REDIS_URL, uniqueName, type TestDb } from '../helpers/db';
import { capturingLogger, silentLogger } from '../helpers/logger';

/** The audit log on each database: writing, batching, querying, concurrency, redaction, the Redis mirror. */

const count = async (db: Db, where = 'true') => Number((await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM audit_log WHERE ${where}`))[0]!.n);

describe.each(DB_KINDS)('audit log on %s', (kind) => {
  let testDb: TestDb;
  let audit: AuditLog;

  beforeEach(async () => {
    testDb = await openTestDb(kind);
    audit = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:' });
  });
  afterEach(async () => {
    await audit.close();
    await testDb.drop();
  });

  it('append resolves with the committed entry, chained onto the one before', async () => {
    const first = await audit.append({ type: 'command.denied', actor: 'key1', subject: 'rm', outcome: 'denied', details: { rule: 'no-rm', argv: ['rm', '-rf', '/'] } });
    const second = await audit.append({ type: 'command.finished', actor: 'key1', subject: 'ls', outcome: '0', details: { exitCode: 0, durationMs: 12.5 } });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, type: 'command.denied', actor: 'key1', subject: 'rm', outcome: 'denied' });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, details: { exitCode: 0, durationMs: 12.5 } });
    const stored = (await audit.query({ limit: 10 })).entries;
    expect(stored).toEqual([second, first]);
    expect(await audit.verify()).toEqual({ ok: true, checked: 2 });
  });

  it('record returns at once and writes in batches; flush waits for them', async () => {
    let transactions = 0;
    const counted: Db = { ...testDb.db, transaction: (fn) => ((transactions += 1), testDb.db.transaction(fn)) };
    const batched = new AuditLog({ db: counted, logger: silentLogger(), keyPrefix: 'unused:' });
    for (let i = 0; i < 200; i++) batched.record({ type: 'api.request', actor: 'key1', subject: `GET /r${i}`, outcome: '200' });
    expect(batched.stats().buffered).toBe(200);
    await batched.flush();
    expect(batched.stats()).toEqual({ buffered: 0, dropped: 0, failed: 0 });
    expect(await count(testDb.db)).toBe(200);
    expect(transactions).toBeLessThanOrEqual(3);
    const seqs = (await audit.query({ limit: 500 })).entries.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => 200 - i));
    expect((await audit.verify()).ok).toBe(true);
    await batched.close();
  });

  it('bounds the record buffer: drops past it, counts and logs the drops, then records how many were lost', async () => {
    const { logger, lines } = capturingLogger();
    const small = new AuditLog({ db: testDb.db, logger, keyPrefix: 'unused:', maxBuffered: 5 });
    for (let i = 0; i < 20; i++) small.record({ type: 'api.request', subject: `r${i}` });
    expect(small.stats()).toMatchObject({ buffered: 5, dropped: 15 });
    await small.flush();
    expect(await count(testDb.db, "type = 'api.request'")).toBe(5);
    const [report] = (await small.query({ type: 'audit.dropped', limit: 5 })).entries;
    expect(report).toMatchObject({ actor: 'system', details: { count: 15, maxBuffered: 5 } });
    expect(lines().filter((l) => l.message === 'audit buffer full: entries dropped')).toHaveLength(1);
    await small.close();
    small.record({ type: 'api.request' });
    expect(small.stats().dropped).toBe(16);
  });

  it('record never throws: a malformed entry is logged and skipped, while append rejects it', async () => {
    const { logger, lines } = capturingLogger();
    const strict = new AuditLog({ db: testDb.db, logger, keyPrefix: 'unused:' });
    expect(() => strict.record({ type: 'Not A Type' })).not.toThrow();
    await expect(strict.append({ type: 'nodots' })).rejects.toThrow(/Invalid audit entry type/);
    await strict.close();
    expect(await count(testDb.db)).toBe(0);
    expect(lines().some((l) => l.message === 'audit entry refused')).toBe(true);
  });

  it('filters by type (exact or prefix.*), actor, subject and time, newest first, with a cursor', async () => {
    let now = new Date('2026-03-01T10:00:00.000Z');
    const timed = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', clock: () => now });
    const add = async (type: string, actor: string, subject: string) => {
      now = new Date(now.getTime() + 60_000);
      return timed.append({ type, actor, subject });
    };
    await add('command.denied', 'alice', 'kubectl');
    await add('command.finished', 'bob', 'ls');
    await add('api.request', 'alice', 'GET /status');
    await add('command.finished', 'alice', 'kubectl');
    await add('auth.failure', 'anonymous', '/api/v1/audit');
    const seqs = async (filter: Parameters<AuditLog['query']>[0]) => (await timed.query(filter)).entries.map((e) => e.seq);

    expect(await seqs({ type: 'command.finished', limit: 10 })).toEqual([4, 2]);
    expect(await seqs({ type: 'command.*', limit: 10 })).toEqual([4, 2, 1]);
    expect(await seqs({ actor: 'alice', limit: 10 })).toEqual([4, 3, 1]);
    expect(await seqs({ subject: 'kubectl', type: 'command.*', limit: 10 })).toEqual([4, 1]);
    expect(await seqs({ from: new Date('2026-03-01T10:02:00.000Z'), to: new Date('2026-03-01T10:04:00.000Z'), limit: 10 })).toEqual([3, 2]);

    const page1 = await timed.query({ limit: 2 });
    expect(page1.entries.map((e) => e.seq)).toEqual([5, 4]);
    expect(page1.nextBefore).toBe(4);
    const page2 = await timed.query({ limit: 2, before: page1.nextBefore! });
    expect(page2.entries.map((e) => e.seq)).toEqual([3, 2]);
    const page3 = await timed.query({ limit: 2, before: page2.nextBefore! });
    expect(page3).toMatchObject({ nextBefore: null });
    expect(page3.entries.map((e) => e.seq)).toEqual([1]);
    await timed.close();
  });

  it('two AuditLog instances appending at once (two connection pools on the server) keep one unbroken chain', async () => {
    // On the server the second log has a pool of its own, as another instance would; PGlite has one session.
    const other = kind === 'postgres' ? await openTestDb(kind, { schema: testDb.db.schema, migrate: false }) : undefined;
    const second = new AuditLog({ db: other?.db ?? testDb.db, logger: silentLogger(), keyPrefix: 'unused:', maxBatch: 7 });
    const firstSmall = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', maxBatch: 5 });
    const writes: Promise<AuditEntry>[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(firstSmall.append({ type: 'infra.change', actor: 'a', details: { i } }));
      writes.push(second.append({ type: 'infra.change', actor: 'b', details: { i } }));
    }
    const entries = await Promise.all(writes);
    expect(new Set(entries.map((e) => e.seq)).size).toBe(120);
    expect(Math.max(...entries.map((e) => e.seq))).toBe(120);
    expect(await audit.verify()).toEqual({ ok: true, checked: 120 });
    await Promise.all([firstSmall.close(), second.close()]);
    await other?.db.close();
  });

  it('redacts secret-looking keys at any depth and keeps the rest; odd values become plain JSON', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const entry = await audit.append({
      type: 'api.request',
      details: {
        accessToken: 't0k3n', apiKey: 'k', 'x-api-key': 'k2', password: 'p', headers: { Authorization: 'Bearer abc', accept: 'json' },
        nested: [{ client_secret: 's', keep: 1 }], inputTokens: 42, keyId: 'abc123', tokenCount: 3,
        nul: 'a\u0000b', when: new Date('2026-01-01T00:00:00Z'), big: 10n, nan: Number.NaN, skip: undefined, circular,
      },
    });
    expect(entry.details).toEqual({
      accessToken: '[redacted]', apiKey: '[redacted]', 'x-api-key': '[redacted]', password: '[redacted]', headers: { Authorization: '[redacted]', accept: 'json' },
      nested: [{ client_secret: '[redacted]', keep: 1 }], inputTokens: 42, keyId: 'abc123', tokenCount: 3,
      nul: 'a\uFFFDb', when: '2026-01-01T00:00:00.000Z', big: '10', nan: null, circular: { name: 'loop', self: '[circular]' },
    });
    const [stored] = (await audit.query({ limit: 1 })).entries;
    expect(stored).toEqual(entry);
    expect(JSON.stringify(stored)).not.toMatch(/t0k3n|Bearer abc/);
    expect(await audit.verify()).toEqual({ ok: true, checked: 1 });
  });
});

describe('audit log Redis mirror', () => {
  let redis: RedisClient;
  let testDb: TestDb;
  let prefix: string;

  beforeAll(async () => {
    redis = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    testDb = await openTestDb('pglite');
  });
  beforeEach(() => {
    prefix = `${uniqueName('audit')}:`;
  });
  afterEach(async () => {
    await redis.del(`${prefix}audit`);
  });
  afterAll(async () => {
    await redis.quit();
    await testDb.drop();
  });

  it('adds each written entry to <prefix>audit', async () => {
    const audit = new AuditLog({ db: testDb.db, logger: silentLogger(), redis, keyPrefix: prefix });
    const appended = await audit.append({ type: 'approval.requested', actor: 'agent:devops', subject: 'kubectl' });
    audit.record({ type: 'api.request', subject: 'GET /status' });
    await audit.flush();
    const stream = await redis.xRange(`${prefix}audit`, '-', '+');
    expect(stream.map((m) => m.message.type)).toEqual(['approval.requested', 'api.request']);
    expect(stream[0]!.message).toMatchObject({ seq: String(appended.seq), hash: appended.hash });
    expect(JSON.parse(stream[0]!.message.entry!)).toEqual(appended);
    await audit.close();
  });

  it('a failing Redis is logged and never blocks or fails the database write', async () => {
    const broken = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    broken.destroy();
    const { logger, lines } = capturingLogger();
    const audit = new AuditLog({ db: testDb.db, logger, redis: broken, keyPrefix: prefix });
    const entry = await audit.append({ type: 'infra.change', actor: 'system' });
    await audit.close();
    expect((await audit.query({ limit: 1 })).entries[0]).toEqual(entry);
    expect(lines().some((l) => l.message === 'audit entries could not be mirrored to Redis')).toBe(true);
  });
});
