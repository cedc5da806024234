import { vectorExpression } from './hnsw-index';
import { toVectorLiteral } from './vector-math';
import type { MemoryHit, MemoryRecord, VectorSearch } from './vector-store-schemas';

export interface SqlQuery {
  text: string;
  params: unknown[];
}

export const RECORD_COLUMNS =
  'id, type, content, content_hash, user_id, session_id, agent, project_id, metadata, embedding_model, dimensions, created_at, updated_at';

const FILTER_COLUMNS = [
  ['type', 'type = $'],
  ['userId', 'user_id = $'],
  ['sessionId', 'session_id = $'],
  ['agent', 'agent = $'],
  ['projectId', 'project_id = $'],
  ['createdAfter', 'created_at > $'],
  ['createdBefore', 'created_at < $'],
] as const;

/**
 * The model, the dimension and the metadata filter, in the same WHERE as the ranking. The
 * dimension is a literal (a validated integer) rather than a parameter so the planner can
 * prove the partial index's `dimensions = d` predicate.
 */
function whereClause(search: VectorSearch, params: unknown[]): string {
  params.push(search.model);
  const conditions = [`embedding_model = $${params.length}`, `dimensions = ${search.embedding.length}`];
  for (const [key, sql] of FILTER_COLUMNS) {
    const value = search.filter[key];
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${sql}${params.length}`);
  }
  return conditions.join(' AND ');
}

/**
 * pgvector: ORDER BY the cosine distance over the indexed expression, so an HNSW index of this
 * dimension serves it (filters are checked as the index yields rows; iterative scans, set by
 * the caller, keep going until k rows pass).
 */
export function pgvectorSearchQuery(search: VectorSearch, unitQuery: number[]): SqlQuery {
  const d = unitQuery.length;
  const params: unknown[] = [toVectorLiteral(unitQuery)];
  const distance = `${vectorExpression(d)} <=> $1::vector(${d})`;
  const where = whereClause(search, params);
  params.push(search.k);
  return {
    text: `SELECT ${RECORD_COLUMNS}, 1 - (${distance}) AS score FROM memories WHERE ${where} ORDER BY ${distance} LIMIT $${params.length}`,
    params,
  };
}

/**
 * Without pgvector: every candidate that passes the filter is scored in SQL. Stored vectors and
 * the query are unit length, so cosine similarity is the dot product, summed in float8 over
 * the two arrays zipped by unnest. Only the k best rows leave the server (a bounded top-N sort).
 */
export function exactScanSearchQuery(search: VectorSearch, unitQuery: number[]): SqlQuery {
  const params: unknown[] = [unitQuery];
  const where = whereClause(search, params);
  params.push(search.k);
  const score = '(SELECT sum(x::float8 * y) FROM unnest(embedding, $1::float8[]) AS t(x, y))';
  return {
    text: `SELECT ${RECORD_COLUMNS}, ${score} AS score FROM memories WHERE ${where} ORDER BY score DESC, id LIMIT $${params.length}`,
    params,
  };
}

export interface MemoryRow {
  id: string;
  type: string;
  content: string;
  content_hash: string;
  user_id: string | null;
  session_id: string | null;
  agent: string | null;
  project_id: string | null;
  metadata: Record<string, unknown>;
  embedding_model: string;
  dimensions: number;
  created_at: Date;
  updated_at: Date;
  embedding?: number[];
  score?: number | string;
}

export function toRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    type: row.type,
    content: row.content,
    contentHash: row.content_hash,
    userId: row.user_id,
    sessionId: row.session_id,
    agent: row.agent,
    projectId: row.project_id,
    metadata: row.metadata,
    embeddingModel: row.embedding_model,
    dimensions: row.dimensions,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toHit(row: MemoryRow): MemoryHit {
  return { ...toRecord(row), score: Number(row.score) };
}
