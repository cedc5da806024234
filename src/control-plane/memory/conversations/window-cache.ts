import { randomUUID } from 'node:crypto';
import type { Kv } from '../../../common/kv';
import type { Logger } from '../../../common/logger';
import type { SessionTail } from './history-window';

export interface WindowCacheOptions {
  /** How long a cached tail (and a version token) lives. Also the longest a stale tail can outlive a failed invalidation. */
  ttlMs: number;
  keyPrefix: string;
  /** Every Kv call is abandoned (and the database used) after this long. */
  timeoutMs: number;
  logger?: Logger;
  now?: () => number;
}

/** A read: `tail` on a hit; `token` to store a fresh tail under; neither when the cache is unusable now. */
export interface CacheRead {
  tail?: SessionTail;
  token?: string;
}

interface Entry extends SessionTail {
  v: string;
}

/** Sessions whose invalidation failed, remembered for at most this many; past it the whole cache rests for one TTL. */
const MAX_DIRTY = 10_000;
/** A tail bigger than this as JSON is not cached (metadata can make messages large). */
const MAX_ENTRY_CHARS = 1_000_000;

/**
 * Caches the tail of each session in a Kv, never serving one older than the last write
 * that returned.
 *
 * Kv has no compare-and-set, so an "invalidate then refill" race (a reader fills in what it
 * read before a write committed, after that write deleted the key) is closed with a version
 * token per session: every write sets a new random token after its commit, and a tail is
 * served only if it was stored under the current token. A reader takes the token (creating
 * one if none, before it reads the database), reads the database, and stores under that
 * token; if a write happened in between, the token has changed and the stored tail is
 * never served. The database stays the source of truth: a miss, an error or a timeout reads
 * it. A failed invalidation is retried before this instance next reads that session (other
 * instances may serve the old tail until its TTL ends).
 */
export class WindowCache {
  private readonly dirty = new Map<string, number>();
  private restUntil = 0;
  private readonly now: () => number;

  constructor(
    private readonly kv: Kv,
    private readonly options: WindowCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async read(sessionId: string): Promise<CacheRead> {
    if (this.now() < this.restUntil) return {};
    if (this.dirty.has(sessionId)) {
      if (!(await this.invalidate(sessionId))) return {};
    }
    try {
      const [token, raw] = await Promise.all([this.call(this.kv.get(this.versionKey(sessionId))), this.call(this.kv.get(this.tailKey(sessionId)))]);
      if (token === undefined) {
        const fresh = randomUUID();
        await this.call(this.kv.set(this.versionKey(sessionId), fresh, this.options.ttlMs));
        return { token: fresh };
      }
      const entry = raw === undefined ? undefined : parseEntry(raw);
      if (entry?.v !== token) return { token };
      return { token, tail: { head: entry.head, recent: entry.recent, complete: entry.complete } };
    } catch (err) {
      this.warn('conversation cache read failed; reading the database', sessionId, err);
      return {};
    }
  }

  async store(sessionId: string, token: string, tail: SessionTail): Promise<void> {
    const value = JSON.stringify({ v: token, ...tail } satisfies Entry);
    if (value.length > MAX_ENTRY_CHARS) return;
    try {
      await this.call(this.kv.set(this.tailKey(sessionId), value, this.options.ttlMs));
    } catch (err) {
      this.warn('conversation cache write failed', sessionId, err);
    }
  }

  /** After a committed write: no tail stored before now may be served. Returns whether it reached the Kv. */
  async invalidate(sessionId: string): Promise<boolean> {
    try {
      await this.call(this.kv.set(this.versionKey(sessionId), randomUUID(), this.options.ttlMs));
      this.dirty.delete(sessionId);
      return true;
    } catch (err) {
      this.warn('conversation cache invalidation failed; this session bypasses the cache until it succeeds', sessionId, err);
      this.dirty.delete(sessionId);
      this.dirty.set(sessionId, this.now());
      if (this.dirty.size > MAX_DIRTY) {
        // Too many to track: rest until every tail stored before now has expired.
        this.dirty.clear();
        this.restUntil = this.now() + this.options.ttlMs;
      }
      return false;
    }
  }

  tailKey(sessionId: string): string {
    return `${this.options.keyPrefix}tail:${sessionId}`;
  }

  versionKey(sessionId: string): string {
    return `${this.options.keyPrefix}ver:${sessionId}`;
  }

  private call<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kv call timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private warn(message: string, sessionId: string, err: unknown): void {
    this.options.logger?.warn(message, { sessionId, kv: this.kv.kind, reason: err instanceof Error ? err.message : String(err) });
  }
}

function parseEntry(raw: string): Entry | undefined {
  try {
    const e = JSON.parse(raw) as Partial<Entry>;
    return typeof e.v === 'string' && Array.isArray(e.recent) && typeof e.complete === 'boolean' && e.head !== undefined ? (e as Entry) : undefined;
  } catch {
    return undefined;
  }
}
