export type { Kv } from './kv';
export { MemoryKv } from './memory-kv';
export { RedisKv, connectRedis, type RedisClient } from './redis-kv';
