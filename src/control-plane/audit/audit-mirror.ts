import type { RedisClient } from '../../common/kv';
import type { AuditEntry } from './audit-types';

/** How long the Redis stream keeps entries. */
export const MIRROR_RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * Copies written entries to the Redis stream `<prefix>audit`, for consumers that tail recent
 * activity without querying PostgreSQL, and as a second copy of the newest entries. Trimmed
 * on every add to about seven days (MINID ~: whole macro nodes, so a little more may stay).
 * PostgreSQL stays the record: the caller runs this after the commit and only logs failures.
 */
export class AuditMirror {
  readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly clock: () => Date,
  ) {
    this.key = `${keyPrefix}audit`;
  }

  async write(entries: readonly AuditEntry[]): Promise<void> {
    const minId = this.clock().getTime() - MIRROR_RETENTION_MS;
    // node-redis pipelines the commands issued in one tick into one round trip.
    await Promise.all(
      entries.map((e) =>
        this.redis.xAdd(this.key, '*', { seq: String(e.seq), type: e.type, hash: e.hash, entry: JSON.stringify(e) }, { TRIM: { strategy: 'MINID', strategyModifier: '~', threshold: minId } }),
      ),
    );
  }
}
