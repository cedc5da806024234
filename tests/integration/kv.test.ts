import { connectRedis, MemoryKv, RedisKv, type Kv, type RedisClient } from '../../src/common/kv';
import { TEST_REDIS_URL, uniqueName } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

let redis: RedisClient;
let prefix: string;

beforeAll(async () => {
  redis = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
  prefix = `${uniqueName('kvtest')}:`;
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(keys);
  await redis.quit();
});

const backends: Array<[string, () => Kv]> = [
  ['memory', () => new MemoryKv()],
  ['redis', () => new RedisKv(redis, prefix)],
];

describe.each(backends)('Kv conformance: %s', (_name, make) => {
  it('sets, gets and deletes', async () => {
    const kv = make();
    expect(await kv.get('a')).toBeUndefined();
    await kv.set('a', '1');
    expect(await kv.get('a')).toBe('1');
    await kv.set('a', '2');
    expect(await kv.get('a')).toBe('2');
    await kv.del('a');
    expect(await kv.get('a')).toBeUndefined();
  });

  it('expires entries after their TTL', async () => {
    const kv = make();
    await kv.set('ttl', 'x', 40);
    expect(await kv.get('ttl')).toBe('x');
    await new Promise((r) => setTimeout(r, 80));
    expect(await kv.get('ttl')).toBeUndefined();
  });

  it('answers ping', async () => {
    await expect(make().ping()).resolves.toBeUndefined();
  });
});

it('MemoryKv stays within its bound, dropping the oldest entry', async () => {
  const kv = new MemoryKv(2);
  await kv.set('a', '1');
  await kv.set('b', '2');
  await kv.set('c', '3');
  expect(await kv.get('a')).toBeUndefined();
  expect(await kv.get('b')).toBe('2');
  expect(await kv.get('c')).toBe('3');
});

it('RedisKv keeps its keys under its prefix', async () => {
  await new RedisKv(redis, prefix).set('scoped', 'v');
  expect(await redis.get(`${prefix}scoped`)).toBe('v');
});

it('connectRedis fails with a clear message when Redis is not there', async () => {
  await expect(connectRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300, logger: silentLogger() })).rejects.toThrow(
    /Cannot connect to Redis/,
  );
});
