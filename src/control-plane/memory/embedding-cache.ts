import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { fromReal } from './vector-math';

/** Rows per INSERT: keeps one statement's JSON to a few MB at 1,536 dimensions. */
const MAX_ROWS_PER_STATEMENT = 500;
const HOUR_MS = 3_600_000;

export interface CachedVector {
  hash: string;
  vector: number[];
}

export interface EmbeddingCacheOptions {
  /** Entries unused for this many days are deleted (MEMORY_EMBEDDING_CACHE_DAYS); 0 keeps them for ever. */
  ttlDays: number;
  /** The most often this process deletes expired entries, in ms (default one hour). */
  pruneEveryMs?: number;
  now?: () => number;
  /** Where a failed prune is reported: it never fails the write that triggered it. */
  logger?: Logger;
}

/**
 * Provider embeddings by (model, dimensions, sha256 of the text), in the `embedding_cache`
 * table: a text is sent to a provider once, by any instance sharing the database. A hit
 * refreshes the entry's `used_at` (at most once a day per entry, so reads rarely write);
 * entries unused for `ttlDays` are deleted by the next write after the prune interval.
 */
export class EmbeddingCache {
  private readonly ttlDays: number;
  private readonly pruneEveryMs: number;
  private readonly now: () => number;
  private readonly logger?: Logger;
  private lastPrune = -Infinity;

  constructor(
    private readonly db: Db,
    options: EmbeddingCacheOptions,
  ) {
    if (!Number.isInteger(options.ttlDays) || options.ttlDays < 0) throw new RangeError('ttlDays must be a whole number of days, 0 or more');
    this.ttlDays = options.ttlDays;
    this.pruneEveryMs = options.pruneEveryMs ?? HOUR_MS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  async get(model: string, dimensions: number, hashes: readonly string[]): Promise<Map<string, number[]>> {
    if (hashes.length === 0) return new Map();
    const rows = await this.db.query<{ content_hash: string; embedding: number[] }>(
      `WITH hit AS (
         SELECT content_hash, embedding, used_at FROM embedding_cache
         WHERE model = $1 AND dimensions = $2 AND content_hash = ANY($3::text[])
       ), touched AS (
         UPDATE embedding_cache c SET used_at = now() FROM hit
         WHERE c.model = $1 AND c.dimensions = $2 AND c.content_hash = hit.content_hash AND hit.used_at < now() - interval '1 day'
       )
       SELECT content_hash, embedding FROM hit`,
      [model, dimensions, [...hashes]],
    );
    return new Map(rows.map((r) => [r.content_hash, fromReal(r.embedding)]));
  }

  /** First writer wins: two instances embedding the same text store the same vector anyway. */
  async put(model: string, dimensions: number, entries: readonly CachedVector[]): Promise<void> {
    for (let i = 0; i < entries.length; i += MAX_ROWS_PER_STATEMENT) {
      const chunk = entries.slice(i, i + MAX_ROWS_PER_STATEMENT).map((e) => ({ content_hash: e.hash, embedding: e.vector }));
      await this.db.query(
        `INSERT INTO embedding_cache (model, dimensions, content_hash, embedding)
         SELECT $1, $2, content_hash, embedding FROM jsonb_to_recordset($3::jsonb) AS r(content_hash text, embedding real[])
         ON CONFLICT DO NOTHING`,
        [model, dimensions, JSON.stringify(chunk)],
      );
    }
    if (this.ttlDays > 0 && this.now() - this.lastPrune >= this.pruneEveryMs) {
      // The vectors are stored: a prune that fails (tried again after the interval) must not fail the embedding.
      await this.prune().catch((err: unknown) => this.logger?.warn('embedding cache prune failed', { reason: (err as Error).message }));
    }
  }

  /** Deletes the entries (of every model) unused for `ttlDays`; returns how many. Nothing when ttlDays is 0. */
  async prune(): Promise<number> {
    this.lastPrune = this.now();
    if (this.ttlDays === 0) return 0;
    const rows = await this.db.query<{ n: number | string }>(
      `WITH d AS (DELETE FROM embedding_cache WHERE used_at < now() - $1::int * interval '1 day' RETURNING 1) SELECT count(*) AS n FROM d`,
      [this.ttlDays],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
