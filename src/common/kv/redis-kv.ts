import type { createClient } from 'redis';
import type { Logger } from '../logger';
import type { Kv } from './kv';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisOptions {
  url: string;
  connectTimeoutMs: number;
  logger: Logger;
}

/**
 * Connects node-redis. Commands fail at once while disconnected (no offline queue), so a
 * Redis outage shows up as errors the callers handle instead of requests that hang.
 */
export async function connectRedis(options: RedisOptions): Promise<RedisClient> {
  // Loaded only when a Redis is configured: node-redis and its modules take ~0.2 s to load,
  // on every start of the embedded default that never uses them.
  const { createClient } = await import('redis');
  let connectedOnce = false;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs,
      // Refuse to start against a Redis that is not there; once up, ride out outages with backoff.
      // (A fresh Error: node-redis checks `instanceof Error`, which fails for errors from another realm.)
      reconnectStrategy: (retries, cause) => (connectedOnce ? Math.min(100 * 2 ** retries, 5_000) : new Error(cause.message)),
    },
  });
  let lastError = '';
  client.on('error', (err: Error) => {
    // node-redis emits an error per failed reconnect; log each distinct one once.
    if (err.message !== lastError) options.logger.warn('redis error', { reason: err.message });
    lastError = err.message;
  });
  client.on('ready', () => {
    connectedOnce = true;
    lastError = '';
  });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`Cannot connect to Redis at REDIS_URL: ${(err as Error).message}`, { cause: err });
  }
  return client;
}

export class RedisKv implements Kv {
  readonly kind = 'redis' as const;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const value = await this.client.get(this.prefix + key);
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    if (ttlMs === undefined) await this.client.set(this.prefix + key, value);
    else await this.client.set(this.prefix + key, value, { PX: Math.max(1, Math.round(ttlMs)) });
  }

  async del(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit();
  }
}
