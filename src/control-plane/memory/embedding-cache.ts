import type { Db } from '../../common/db';
import { fromReal } from './vector-math';

/** Rows per INSERT: keeps one statement's JSON to a few MB at 1,536 dimensions. */
const MAX_ROWS_PER_STATEMENT = 500;

export interface CachedVector {
  hash: string;
  vector: number[];
}

/**
 * Provider embeddings by (model, dimensions, sha256 of the text), in the `embedding_cache`
 * table: a text is sent to a provider once, by any instance sharing the database.
 */
export class EmbeddingCache {
  constructor(private readonly db: Db) {}

  async get(model: string, dimensions: number, hashes: readonly string[]): Promise<Map<string, number[]>> {
    if (hashes.length === 0) return new Map();
    const rows = await this.db.query<{ content_hash: string; embedding: number[] }>(
      'SELECT content_hash, embedding FROM embedding_cache WHERE model = $1 AND dimensions = $2 AND content_hash = ANY($3::text[])',
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
  }
}
