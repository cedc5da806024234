import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { Db } from '../../common/db';

/*
 * Concurrency limits that hold across control-plane instances on one PostgreSQL server: a
 * rule's `maxConcurrent` and the policy's `maxConcurrentTotal` are numbered slots, each a
 * session-level advisory lock (pg_try_advisory_lock(key, slot)) held by a connection of this
 * pool for as long as the command runs. A process that dies loses its connections, and the
 * server frees their locks: no lease to expire, no slot left taken. Keys are derived from the
 * schema too, so deployments (and test runs) in different schemas never share slots; the
 * two-key form never meets the single-key locks taken elsewhere (migrations, the audit chain).
 *
 * On the embedded database there is one process (it owns the data directory), whose own
 * counters already are the global ones; PGlite's single session would also take every
 * advisory lock again. So these are used on a server only.
 */

/** A slot held: give it back when the command ends. */
export type SlotRelease = () => Promise<void>;

/** A 32-bit advisory-lock key for a name (`rule:<name>`, `total`) within a schema. */
export function lockKey(schema: string, name: string): number {
  return createHash('sha256').update(`jarvis-firewall\0${schema}\0${name}`).digest().readInt32BE(0);
}

export class SharedSlots {
  private readonly pool: Pool;
  private closed = false;

  constructor(
    private readonly db: Db,
    /** Most slots this instance holds at once (its own maxConcurrentTotal). */
    maxHeld: number,
  ) {
    this.pool = db.createPool(maxHeld);
  }

  /**
   * Takes a slot of `rule` (below `limit`) and one of the total (below `totalLimit`), or
   * nothing and answers undefined when either is full on every instance together.
   */
  async acquire(rule: string, limit: number, totalLimit: number): Promise<SlotRelease | undefined> {
    const client = await this.pool.connect();
    try {
      const ruleSlot = await this.take(client, lockKey(this.db.schema, `rule:${rule}`), limit);
      if (ruleSlot === undefined) return this.giveBack(client, []);
      const totalSlot = await this.take(client, lockKey(this.db.schema, 'total'), totalLimit);
      if (totalSlot === undefined) return this.giveBack(client, [ruleSlot]);
      return async () => {
        await this.giveBack(client, [ruleSlot, totalSlot]);
      };
    } catch (err) {
      // The session's locks go with the connection.
      client.release(err as Error);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * The first free slot 0..limit-1 of `key`, now held by this session. One statement per slot:
   * in a single one with LIMIT, PostgreSQL does not promise to stop calling the lock function
   * at the first success (its documentation warns of exactly this).
   */
  private async take(client: PoolClient, key: number, limit: number): Promise<[number, number] | undefined> {
    for (let slot = 0; slot < limit; slot++) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [key, slot]);
      if (rows[0]?.ok) return [key, slot];
    }
    return undefined;
  }

  private async giveBack(client: PoolClient, slots: Array<[number, number]>): Promise<undefined> {
    try {
      for (const [key, slot] of slots) await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [key, slot]);
      client.release();
    } catch (err) {
      // Unlocking failed: end the session, which frees whatever it held.
      client.release(err as Error);
    }
    return undefined;
  }
}
