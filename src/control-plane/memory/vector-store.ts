import { z } from 'zod';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import { fieldError, parseInput } from '../../common/validation';
import { contentHash } from './content-hash';
import { HnswIndexes } from './hnsw-index';
import { TableStatistics } from './table-statistics';
import { exactScanSearchQuery, pgvectorSearchQuery, RECORD_COLUMNS, toHit, toRecord, type MemoryRow } from './vector-search-sql';
import { fromReal, l2Norm, normalize } from './vector-math';
import {
  memoryVectorInputSchema,
  vectorSearchSchema,
  type MemoryHit,
  type MemoryVectorInput,
  type MemoryVectorRow,
  type MemoryWithEmbedding,
  type VectorSearchOptions,
} from './vector-store-schemas';

export type VectorSearchStrategy = 'pgvector' | 'exact-scan';

/** One statement carries at most this many rows (about 30 MB of JSON at 1,536 dimensions). */
export const MAX_UPSERT_ROWS = 1_000;
/** pgvector's default hnsw.ef_search. */
const DEFAULT_EF_SEARCH = 40;
const MAX_EF_SEARCH = 1_000;

export interface VectorStoreDeps {
  db: Db;
  logger?: Logger;
}

export interface VectorStoreOptions {
  /**
   * `auto` (default): pgvector where the database has it, else the exact scan. `exact-scan`
   * forces the fallback, e.g. to measure the index's recall against exact answers.
   */
  strategy?: 'auto' | 'exact-scan';
  /** Lower bound for hnsw.ef_search (candidates kept while walking the graph); raised to k. */
  efSearch?: number;
}

const upsertSchema = z.array(memoryVectorInputSchema).min(1).max(MAX_UPSERT_ROWS);

/**
 * Memories and their embeddings in PostgreSQL, searched by cosine similarity with the metadata
 * filter in the same query. Vectors are stored L2-normalised (cosine ignores length), and rows
 * of another model or dimension are never compared: every search names its model.
 */
export class VectorStore {
  readonly strategy: VectorSearchStrategy;
  private readonly indexes: HnswIndexes;
  private readonly efSearch: number;
  /** Planner statistics for the embedded database, which has no autovacuum. */
  readonly statistics: TableStatistics;

  constructor(
    private readonly deps: VectorStoreDeps,
    options: VectorStoreOptions = {},
  ) {
    this.strategy = deps.db.vector && options.strategy !== 'exact-scan' ? 'pgvector' : 'exact-scan';
    this.efSearch = options.efSearch ?? DEFAULT_EF_SEARCH;
    if (!Number.isInteger(this.efSearch) || this.efSearch < 1 || this.efSearch > MAX_EF_SEARCH) {
      throw new RangeError(`efSearch must be an integer in 1..${MAX_EF_SEARCH}, got ${this.efSearch}`);
    }
    this.indexes = new HnswIndexes(deps.db, deps.logger);
    this.statistics = new TableStatistics(deps.db, deps.logger);
  }

  /** Creates the HNSW index for a dimension ahead of the first upsert (no-op for the exact scan). */
  async ensureIndex(dimensions: number): Promise<boolean> {
    return this.strategy === 'pgvector' ? this.indexes.ensure(dimensions) : false;
  }

  /** Inserts or replaces (by id) one or many memories in one statement; returns how many were written. */
  async upsert(items: MemoryVectorInput | readonly MemoryVectorInput[]): Promise<number> {
    const list = Array.isArray(items) ? items : [items as MemoryVectorInput];
    if (list.length === 0) return 0;
    const rows = parseInput(upsertSchema, list, 'memories');
    checkRows(rows);
    for (const d of new Set(rows.map((r) => r.embedding.length))) await this.ensureIndex(d);
    await this.deps.db.query(
      `INSERT INTO memories (id, type, content, content_hash, user_id, session_id, agent, project_id, metadata,
                             embedding, embedding_model, dimensions, created_at, updated_at)
       SELECT id, type, content, content_hash, user_id, session_id, agent, project_id, metadata,
              embedding, embedding_model, dimensions, coalesce(created_at, now()), now()
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, type text, content text, content_hash text, user_id text,
            session_id text, agent text, project_id text, metadata jsonb, embedding real[], embedding_model text,
            dimensions integer, created_at timestamptz)
       ON CONFLICT (id) DO UPDATE SET
         type = EXCLUDED.type, content = EXCLUDED.content, content_hash = EXCLUDED.content_hash,
         user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id, agent = EXCLUDED.agent,
         project_id = EXCLUDED.project_id, metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding,
         embedding_model = EXCLUDED.embedding_model, dimensions = EXCLUDED.dimensions, updated_at = now()`,
      [JSON.stringify(rows.map(toJsonRow))],
    );
    this.statistics.noteChanges(rows.length);
    return rows.length;
  }

  async get(id: string): Promise<MemoryWithEmbedding | undefined> {
    const [row] = await this.deps.db.query<MemoryRow>(`SELECT ${RECORD_COLUMNS}, embedding FROM memories WHERE id = $1`, [id]);
    return row ? { ...toRecord(row), embedding: fromReal(row.embedding ?? []) } : undefined;
  }

  /** Deletes by id (one or many); returns how many existed. */
  delete(ids: string | readonly string[]): Promise<number> {
    return this.count('DELETE FROM memories WHERE id = ANY($1::text[])', [typeof ids === 'string' ? [ids] : [...ids]]);
  }

  deleteBySession(sessionId: string): Promise<number> {
    return this.count('DELETE FROM memories WHERE session_id = $1', [sessionId]);
  }

  /** Every memory of the user, whatever its session or model: the vector half of a complete erase. */
  deleteByUser(userId: string): Promise<number> {
    return this.count('DELETE FROM memories WHERE user_id = $1', [userId]);
  }

  /**
   * The k memories of this model closest to the embedding, best first, among those that pass
   * the filter. A zero query vector is similar to nothing and finds nothing.
   */
  async search(embedding: readonly number[], options: VectorSearchOptions): Promise<MemoryHit[]> {
    const search = parseInput(vectorSearchSchema, { ...options, embedding }, 'search');
    checkDimensions(search.embedding.length, search.dimensions, 'search.dimensions');
    if (l2Norm(search.embedding) === 0) return [];
    const unit = normalize(search.embedding);
    if (this.strategy === 'exact-scan') {
      const { text, params } = exactScanSearchQuery(search, unit);
      return (await this.deps.db.query<MemoryRow>(text, params)).map(toHit);
    }
    const { text, params } = pgvectorSearchQuery(search, unit);
    const efSearch = Math.min(MAX_EF_SEARCH, Math.max(this.efSearch, search.k));
    const rows = await this.deps.db.transaction(async (tx) => {
      // strict_order: when the filter rejects rows the index yields, keep scanning the graph
      // (up to hnsw.max_scan_tuples) instead of returning fewer than k, in exact distance order.
      await tx.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'strict_order', true)`, [
        String(efSearch),
      ]);
      return tx.query<MemoryRow>(text, params);
    });
    return rows.map(toHit);
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    const [row] = await this.deps.db.query<{ n: number }>(`WITH gone AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM gone`, params);
    this.statistics.noteChanges(row?.n ?? 0);
    return row?.n ?? 0;
  }
}

function checkDimensions(length: number, declared: number | undefined, field: string): void {
  if (declared !== undefined && declared !== length) {
    throw fieldError(field, `is ${declared} but the embedding has ${length} values`, { expected: declared, actual: length });
  }
}

function checkRows(rows: readonly MemoryVectorRow[]): void {
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    checkDimensions(row.embedding.length, row.dimensions, `memories.${i}.dimensions`);
    if (l2Norm(row.embedding) === 0) throw fieldError(`memories.${i}.embedding`, 'is a zero vector (the text had nothing to embed)');
    if (seen.has(row.id)) throw fieldError(`memories.${i}.id`, `repeats "${row.id}" within one upsert`);
    seen.add(row.id);
  });
}

function toJsonRow(row: MemoryVectorRow): Record<string, unknown> {
  return {
    id: row.id,
    type: row.type,
    content: row.content,
    content_hash: contentHash(row.content),
    user_id: row.userId ?? null,
    session_id: row.sessionId ?? null,
    agent: row.agent ?? null,
    project_id: row.projectId ?? null,
    metadata: row.metadata,
    embedding: normalize(row.embedding),
    embedding_model: row.model,
    dimensions: row.embedding.length,
    created_at: row.createdAt?.toISOString() ?? null,
  };
}

