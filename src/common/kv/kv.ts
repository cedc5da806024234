/**
 * Short-lived key/value state (caches, counters). Redis when REDIS_URL is set so instances
 * share it; an in-process map otherwise. Nothing that must survive a restart lives here.
 */
export interface Kv {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Round-trip check for health reporting. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
