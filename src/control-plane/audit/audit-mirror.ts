import type { RedisClient } from '../../common/kv';
import type { AuditEntry } from './audit-types';
import type { WitnessedEntry } from './audit-witness';

/** How long the Redis stream keeps entries. */
export const MIRROR_RETENTION_MS = 7 * 24 * 60 * 60_000;

const SEQ = /^[1-9][0-9]{0,14}$/; // below 2^53
const HASH = /^[0-9a-f]{64}$/;

/** The id inside a mirrored entry's JSON, if it has one. */
function idOf(json: string | undefined): string | null {
  try {
    const id = (JSON.parse(json ?? '') as { id?: unknown }).id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

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

  /**
   * The `count` most recently mirrored entries, for verify to compare with the database.
   * A stream message without a well-formed seq and hash is counted, not compared.
   */
  async newest(count: number): Promise<{ entries: WitnessedEntry[]; malformed: number }> {
    const messages = await this.redis.xRevRange(this.key, '+', '-', { COUNT: count });
    const entries: WitnessedEntry[] = [];
    let malformed = 0;
    for (const { message } of messages) {
      const { seq, hash, entry } = message as Record<string, string | undefined>;
      if (!seq || !SEQ.test(seq) || !hash || !HASH.test(hash)) malformed += 1;
      else entries.push({ seq: Number(seq), hash, id: idOf(entry) });
    }
    return { entries, malformed };
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
