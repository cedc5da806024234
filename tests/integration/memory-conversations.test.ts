import type { Db, DbKind } from '../../src/common/db';
import { ForbiddenError, InvalidError } from '../../src/common/errors';
import { connectRedis, MemoryKv, RedisKv, type Kv, type RedisClient } from '../../src/common/kv';
import { ConversationStore, type ConversationStoreOptions, type NewMessage } from '../../src/control-plane/memory/conversations';
import { DB_KINDS, openTestDb, TEST_REDIS_URL, uniqueName, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

/** Conversations on each database, with each Kv: order, pages, windows, the tail cache and its invalidation. */

let redis: RedisClient;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
});
afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(keys);
  }
  await redis.quit();
});

function redisKv(): { kv: RedisKv; prefix: string } {
  const prefix = `${uniqueName('convtest')}:`;
  prefixes.push(prefix);
  return { kv: new RedisKv(redis, prefix), prefix };
}

/** A Db whose queries are counted (transactions count as one). */
function counted(db: Db): { db: Db; queries: () => number } {
  let n = 0;
  return {
    db: { ...db, query: (text, params) => ((n += 1), db.query(text, params)), transaction: (fn) => ((n += 1), db.transaction(fn)) },
    queries: () => n,
  };
}

const say = (role: NewMessage['role'], content: string): NewMessage => ({ role, content });
const contents = (ms: Array<{ content: string }>) => ms.map((m) => m.content);

const MATRIX: Array<[DbKind, 'memory' | 'redis']> = DB_KINDS.flatMap((d) => (['memory', 'redis'] as const).map((k): [DbKind, 'memory' | 'redis'] => [d, k]));

describe.each(MATRIX)('conversations on %s with a %s Kv', (dbKind, kvKind) => {
  let testDb: TestDb;
  let kv: Kv;
  let count: ReturnType<typeof counted>;
  let store: ConversationStore;
  const make = (options: Partial<ConversationStoreOptions> = {}) => new ConversationStore({ db: count.db, kv, logger: silentLogger(), ...options });

  beforeAll(async () => {
    testDb = await openTestDb(dbKind);
  });
  afterAll(async () => {
    await testDb.drop();
  });
  beforeEach(async () => {
    await testDb.db.exec('TRUNCATE conversation_messages');
    kv = kvKind === 'memory' ? new MemoryKv() : redisKv().kv;
    count = counted(testDb.db);
    store = make();
  });

  it('appends in order and pages both ways', async () => {
    const first = await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'one'), say('assistant', 'two'), say('user', 'three')] });
    expect(contents(first)).toEqual(['one', 'two', 'three']);
    expect(first[0]).toMatchObject({ sessionId: 's1', userId: 'u1', role: 'user', tokens: null, metadata: {} });
    await store.append({ sessionId: 's1', userId: 'u1', messages: [{ role: 'tool', content: 'four', tokens: 7, metadata: { tool: 'search' } }, say('assistant', 'five')] });
    await store.append({ sessionId: 'other', userId: 'u1', messages: [say('user', 'elsewhere')] });

    const p1 = await store.list('s1', { limit: 2 });
    expect(contents(p1.messages)).toEqual(['one', 'two']);
    const p2 = await store.list('s1', { limit: 2, cursor: p1.nextCursor! });
    const p3 = await store.list('s1', { limit: 2, cursor: p2.nextCursor! });
    expect(contents(p2.messages)).toEqual(['three', 'four']);
    expect(p2.messages[1]).toMatchObject({ role: 'tool', tokens: 7, metadata: { tool: 'search' } });
    expect(p3).toEqual({ messages: [expect.objectContaining({ content: 'five' })], nextCursor: null });
    const newest = await store.list('s1', { order: 'newest', limit: 3 });
    expect(contents(newest.messages)).toEqual(['five', 'four', 'three']);
    expect(contents((await store.list('s1', { order: 'newest', cursor: newest.nextCursor! })).messages)).toEqual(['two', 'one']);
  });

  it('keeps a session to the user of its first message', async () => {
    await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'mine')] });
    await expect(store.append({ sessionId: 's1', userId: 'u2', messages: [say('user', 'theirs')] })).rejects.toThrow(ForbiddenError);
    expect(await store.owner('s1')).toBe('u1');
    expect(await store.owner('nobody')).toBeUndefined();
    expect(contents((await store.list('s1')).messages)).toEqual(['mine']);
    await expect(store.append({ sessionId: 'bad id!', userId: 'u1', messages: [say('user', 'x')] })).rejects.toThrow(InvalidError);
    await expect(store.window('s1', { maxMessages: 0 })).rejects.toThrow(/query\.maxMessages/);
  });

  describe('window', () => {
    beforeEach(async () => {
      await store.append({
        sessionId: 's1',
        userId: 'u1',
        messages: [say('system', 'SYS'), say('user', 'aaaa'), say('assistant', 'bbbb'), say('user', 'cccc'), say('assistant', 'dddd')],
      });
    });

    it('takes the most recent messages within the count, oldest first, behind the system message', async () => {
      expect(contents(await store.window('s1', { maxMessages: 3 }))).toEqual(['SYS', 'cccc', 'dddd']);
      expect(contents(await store.window('s1', { maxMessages: 1 }))).toEqual(['SYS']);
      expect(contents(await store.window('s1'))).toEqual(['SYS', 'aaaa', 'bbbb', 'cccc', 'dddd']);
      expect(await store.window('empty')).toEqual([]);
    });

    it('and within the characters, contiguously, the system message counted and always kept', async () => {
      expect(contents(await store.window('s1', { maxChars: 3 + 8 }))).toEqual(['SYS', 'cccc', 'dddd']);
      expect(contents(await store.window('s1', { maxChars: 3 + 11 }))).toEqual(['SYS', 'cccc', 'dddd']);
      expect(contents(await store.window('s1', { maxChars: 2 }))).toEqual(['SYS']);
      await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'x'.repeat(50)), say('assistant', 'ok')] });
      // The long message does not fit, so nothing older is taken either.
      expect(contents(await store.window('s1', { maxChars: 40 }))).toEqual(['SYS', 'ok']);
    });

    it('keeps only a leading system message', async () => {
      await store.append({ sessionId: 's2', userId: 'u1', messages: [say('user', 'hi'), say('system', 'late'), say('user', 'there')] });
      expect(contents(await store.window('s2', { maxMessages: 2 }))).toEqual(['late', 'there']);
    });
  });

  describe('cache', () => {
    beforeEach(() => store.append({ sessionId: 's1', userId: 'u1', messages: [say('system', 'SYS'), say('user', 'q1'), say('assistant', 'a1')] }));

    it('serves a second read without the database', async () => {
      const before = count.queries();
      const first = await store.window('s1');
      expect(count.queries()).toBe(before + 1);
      expect(await store.window('s1')).toEqual(first);
      expect(await store.window('s1', { maxMessages: 2 })).toEqual([first[0], first[2]]);
      expect(count.queries()).toBe(before + 1);
      const cached = JSON.parse((await kv.get('conv:tail:s1'))!) as { recent: unknown[]; complete: boolean };
      expect(cached).toMatchObject({ complete: true, recent: [expect.objectContaining({ content: 'a1' }), expect.objectContaining({ content: 'q1' })] });
    });

    it('never serves a stale tail after an append or a delete', async () => {
      await store.window('s1');
      await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'q2')] });
      expect(contents(await store.window('s1'))).toEqual(['SYS', 'q1', 'a1', 'q2']);
      // Another instance (same Kv, own process memory) sees the change too.
      expect(contents(await make().window('s1'))).toEqual(['SYS', 'q1', 'a1', 'q2']);
      expect(await store.deleteSession('s1')).toBe(4);
      expect(await make().window('s1')).toEqual([]);
      await store.append({ sessionId: 's9', userId: 'u1', messages: [say('user', 'again')] });
      await store.window('s9');
      expect(await store.deleteUser('u1')).toEqual({ messages: 1, sessions: 1 });
      expect(await store.window('s9')).toEqual([]);
    });

    it('never stores as current what it read before a write committed', async () => {
      // The window's database read returns, then waits while a write commits and invalidates.
      let release!: () => void;
      let arrived!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const atGate = new Promise<void>((resolve) => (arrived = resolve));
      const slowDb: Db = {
        ...testDb.db,
        query: async <R extends object>(text: string, params?: readonly unknown[]) => {
          const rows = await testDb.db.query<R>(text, params);
          if (text.includes('is_head')) {
            arrived();
            await gate;
          }
          return rows;
        },
      };
      const slow = new ConversationStore({ db: slowDb, kv });
      const reading = slow.window('s1');
      await atGate;
      await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'q2')] });
      release();
      expect(contents(await reading)).toEqual(['SYS', 'q1', 'a1']); // began before the write
      expect(contents(await store.window('s1'))).toEqual(['SYS', 'q1', 'a1', 'q2']);
    });

    it('reads the database for a window larger than the cached tail', async () => {
      const small = make({ cacheMessages: 1 });
      await small.window('s1', { maxMessages: 2 });
      const before = count.queries();
      expect(contents(await small.window('s1', { maxMessages: 2 }))).toEqual(['SYS', 'a1']);
      expect(count.queries()).toBe(before);
      expect(contents(await small.window('s1', { maxMessages: 3 }))).toEqual(['SYS', 'q1', 'a1']);
      expect(count.queries()).toBe(before + 1);
    });
  });
});

describe('conversation cache TTL and failures', () => {
  let testDb: TestDb;
  beforeAll(async () => {
    testDb = await openTestDb('pglite');
  });
  afterAll(async () => {
    await testDb.drop();
  });
  beforeEach(() => testDb.db.exec('TRUNCATE conversation_messages'));

  const seed = (store: ConversationStore) => store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'q1'), say('assistant', 'a1')] });

  it('sets the TTL on Redis', async () => {
    const { kv, prefix } = redisKv();
    const store = new ConversationStore({ db: testDb.db, kv, cacheTtlMs: 30_000 });
    await seed(store);
    await store.window('s1');
    for (const key of [`${prefix}conv:tail:s1`, `${prefix}conv:ver:s1`]) {
      const ttl = await redis.pTTL(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
  });

  it('expires the cached tail after the TTL (MemoryKv)', async () => {
    let now = 1_000_000;
    const c = counted(testDb.db);
    const store = new ConversationStore({ db: c.db, kv: new MemoryKv(1_000, () => now), cacheTtlMs: 5_000 });
    await seed(store);
    await store.window('s1');
    const before = c.queries();
    await store.window('s1');
    now += 4_000;
    await store.window('s1');
    expect(c.queries()).toBe(before);
    now += 2_000;
    await store.window('s1');
    expect(c.queries()).toBe(before + 1);
  });

  it('falls back to the database when Redis is down', async () => {
    const dead = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    await dead.quit();
    const store = new ConversationStore({ db: testDb.db, kv: new RedisKv(dead, 'dead:'), logger: silentLogger() });
    await seed(store);
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1']);
    await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'q2')] });
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1', 'q2']);
    expect(await store.deleteSession('s1')).toBe(3);
  });

  it('falls back when the Kv hangs', async () => {
    const hanging: Kv = { kind: 'redis', get: () => new Promise(() => undefined), set: () => new Promise(() => undefined), del: async () => undefined, ping: async () => undefined, close: async () => undefined };
    const store = new ConversationStore({ db: testDb.db, kv: hanging, kvTimeoutMs: 50 });
    await seed(store);
    const started = Date.now();
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('bypasses the cache for a session whose invalidation failed, until one succeeds', async () => {
    const inner = new MemoryKv();
    let failing = false;
    const flaky: Kv = {
      kind: 'redis',
      get: (k) => inner.get(k),
      set: (k, v, ttl) => (failing ? Promise.reject(new Error('connection lost')) : inner.set(k, v, ttl)),
      del: (k) => inner.del(k),
      ping: async () => undefined,
      close: async () => undefined,
    };
    const c = counted(testDb.db);
    const store = new ConversationStore({ db: c.db, kv: flaky });
    await seed(store);
    await store.window('s1');
    failing = true;
    await store.append({ sessionId: 's1', userId: 'u1', messages: [say('user', 'q2')] }); // committed; the invalidation fails
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1', 'q2']);
    failing = false;
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1', 'q2']);
    const before = c.queries();
    expect(contents(await store.window('s1'))).toEqual(['q1', 'a1', 'q2']);
    expect(c.queries()).toBe(before); // cached again
  });
});
