import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../common/db';
import { NotFoundError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import type { ConversationStore } from './conversation-store';
import type { EmbeddingService } from './embedding-service';
import type { GraphStore } from './graph-store';
import { RECORD_COLUMNS, toRecord, type MemoryRow } from './vector-search-sql';
import type { VectorStore } from './vector-store';
import type { MemoryRecord } from './vector-store-schemas';

const scopeId = z.string().min(1).max(200);

export const rememberSchema = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(20_000),
  userId: scopeId,
  sessionId: scopeId.optional(),
  agent: scopeId.optional(),
  projectId: scopeId.optional(),
  type: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a lowercase type such as note, fact, preference').default('note'),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type RememberInput = z.input<typeof rememberSchema>;

export const recallSchema = z.strictObject({
  query: z.string().trim().min(1, 'must not be empty').max(2_000),
  userId: scopeId,
  sessionId: scopeId.optional(),
  agent: scopeId.optional(),
  projectId: scopeId.optional(),
  type: z.string().max(64).optional(),
  k: z.number().int().min(1).max(50).default(5),
  /** Also bring the user's memories of the projects and tracks the best hits' sessions worked on (through the graph). */
  expand: z.boolean().default(false),
});
export type RecallInput = z.input<typeof recallSchema>;

export interface RecallHit extends MemoryRecord {
  /** Reciprocal-rank fusion score (higher is better). */
  score: number;
  /** Cosine similarity of the embeddings, when the vector search ranked it. */
  similarity: number | null;
  vectorRank: number | null;
  textRank: number | null;
  /** Present on memories brought in by graph expansion: the project or track node that linked them. */
  via?: string;
}

export interface MemoryManagerDeps {
  db: Db;
  vectors: VectorStore;
  embeddings: EmbeddingService;
  /** For a complete erase of a user (and of a session's conversation); optional in tests. */
  graph?: GraphStore;
  conversations?: ConversationStore;
}

export interface MemoryManagerOptions {
  /** Cosine similarity at or above which a new memory updates the one it nearly repeats. */
  duplicateThreshold?: number;
  /** The k of reciprocal-rank fusion (60 in the original paper). */
  rrfK?: number;
}

const { max } = Math;

/**
 * The memory layer's front: remember (with near-duplicate detection), recall (vector
 * similarity and PostgreSQL full-text search fused by reciprocal rank) and forget (by id, by
 * session, or everything about a user). Every call is scoped to one user.
 */
export class MemoryManager {
  private readonly duplicateThreshold: number;
  private readonly rrfK: number;

  constructor(
    private readonly deps: MemoryManagerDeps,
    options: MemoryManagerOptions = {},
  ) {
    this.duplicateThreshold = options.duplicateThreshold ?? 0.92;
    this.rrfK = options.rrfK ?? 60;
  }

  async remember(input: RememberInput): Promise<{ action: 'created' | 'updated'; memory: MemoryRecord; similarity?: number }> {
    const p = parseInput(rememberSchema, input, 'body');
    const embedded = await this.deps.embeddings.embed([p.text]);
    const vector = embedded.vectors[0]!;
    const [nearest] = await this.deps.vectors.search(vector, { model: embedded.model, k: 1, filter: { userId: p.userId, type: p.type } });
    const duplicate = nearest && nearest.score >= this.duplicateThreshold ? nearest : undefined;
    const id = duplicate?.id ?? `mem_${randomUUID()}`;
    await this.deps.vectors.upsert({
      id,
      content: p.text,
      embedding: vector,
      model: embedded.model,
      type: p.type,
      userId: p.userId,
      sessionId: p.sessionId ?? duplicate?.sessionId ?? null,
      agent: p.agent ?? duplicate?.agent ?? null,
      projectId: p.projectId ?? duplicate?.projectId ?? null,
      metadata: { ...duplicate?.metadata, ...p.metadata },
      ...(duplicate ? { createdAt: duplicate.createdAt } : {}),
    });
    const memory = (await this.deps.vectors.get(id))!;
    const { embedding: _embedding, ...record } = memory;
    return duplicate ? { action: 'updated', memory: record, similarity: duplicate.score } : { action: 'created', memory: record };
  }

  async recall(input: RecallInput): Promise<RecallHit[]> {
    const p = parseInput(recallSchema, input, 'query');
    const pool = max(20, p.k * 4);
    const filter = { userId: p.userId, ...(p.sessionId ? { sessionId: p.sessionId } : {}), ...(p.agent ? { agent: p.agent } : {}), ...(p.projectId ? { projectId: p.projectId } : {}), ...(p.type ? { type: p.type } : {}) };
    const embedded = await this.deps.embeddings.embed([p.query]);
    const [byVector, byText] = await Promise.all([
      this.deps.vectors.search(embedded.vectors[0]!, { model: embedded.model, k: pool, filter }),
      this.textSearch(p.query, filter, embedded.model, pool),
    ]);
    const fused = new Map<string, RecallHit>();
    byVector.forEach((hit, i) => {
      fused.set(hit.id, { ...hit, similarity: hit.score, vectorRank: i + 1, textRank: null, score: 1 / (this.rrfK + i + 1) });
    });
    byText.forEach((row, i) => {
      const existing = fused.get(row.id);
      const add = 1 / (this.rrfK + i + 1);
      if (existing) {
        existing.textRank = i + 1;
        existing.score += add;
      } else {
        fused.set(row.id, { ...row, similarity: null, vectorRank: null, textRank: i + 1, score: add });
      }
    });
    const ranked = [...fused.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, p.k);
    return p.expand ? [...ranked, ...(await this.expandThroughGraph(ranked, p.userId, p.k))] : ranked;
  }

  /**
   * The graph records session → task → project/track as work happens: memories the user kept
   * about the projects and tracks that the best hits' sessions worked on come back too, after
   * the ranked hits (score 0, `via` naming the node).
   */
  private async expandThroughGraph(hits: readonly RecallHit[], userId: string, limit: number): Promise<RecallHit[]> {
    if (!this.deps.graph) return [];
    const sessions = [...new Set(hits.map((h) => h.sessionId).filter((s): s is string => s !== null))].slice(0, 5);
    const linked = new Map<string, string>();
    for (const sessionId of sessions) {
      const start = `session:${sessionId}`;
      if (!(await this.deps.graph.getNode(start).catch(() => undefined))) continue;
      const walk = await this.deps.graph.traverse(start, { depth: 2, direction: 'out', visibleTo: userId, limit: 100 });
      for (const { node } of walk.nodes) {
        if (node.kind === 'project' || node.kind === 'track') linked.set(node.id.slice(node.kind.length + 1), node.id);
      }
    }
    if (linked.size === 0) return [];
    const seen = hits.map((h) => h.id);
    const rows = await this.deps.db.query<MemoryRow>(
      `SELECT ${RECORD_COLUMNS} FROM memories WHERE user_id = $1 AND project_id = ANY($2::text[]) AND NOT (id = ANY($3::text[])) ORDER BY updated_at DESC, id LIMIT $4`,
      [userId, [...linked.keys()], seen, limit],
    );
    return rows.map((r) => ({ ...toRecord(r), score: 0, similarity: null, vectorRank: null, textRank: null, via: linked.get(r.project_id!)! }));
  }

  /** Deletes one memory of this user (404 when it is not theirs or does not exist). */
  async forget(id: string, userId: string | undefined): Promise<void> {
    const found = await this.deps.vectors.get(id);
    if (!found || (userId !== undefined && found.userId !== userId)) throw new NotFoundError(`No memory ${id}`, undefined, 'MEMORY_NOT_FOUND');
    await this.deps.vectors.delete(id);
  }

  /** A session's memories (only this user's, when given) and its conversation. */
  async forgetSession(sessionId: string, userId?: string): Promise<{ memories: number; messages: number }> {
    const memories =
      userId === undefined
        ? await this.deps.vectors.deleteBySession(sessionId)
        : (await this.deps.db.query<{ n: number }>('WITH gone AS (DELETE FROM memories WHERE session_id = $1 AND user_id = $2 RETURNING 1) SELECT count(*)::int AS n FROM gone', [sessionId, userId]))[0]!.n;
    const messages = this.deps.conversations ? await this.deps.conversations.deleteSession(sessionId) : 0;
    return { memories, messages };
  }

  /** A complete erase: the user's memories, conversations and graph nodes (with their edges). */
  async forgetUser(userId: string): Promise<{ memories: number; messages: number; graphNodes: number; graphEdges: number }> {
    const memories = await this.deps.vectors.deleteByUser(userId);
    const conversations = this.deps.conversations ? await this.deps.conversations.deleteUser(userId) : { messages: 0 };
    const graph = this.deps.graph ? await this.deps.graph.deleteByProperties({ userId }) : { nodeIds: [], edges: 0 };
    return { memories, messages: conversations.messages, graphNodes: graph.nodeIds.length, graphEdges: graph.edges };
  }

  /**
   * Full-text candidates: the query's lexemes OR-ed (plainto_tsquery ANDs them, which a
   * paraphrase rarely satisfies), ranked by ts_rank_cd, within the same scope and model.
   */
  private async textSearch(query: string, filter: Record<string, string>, model: string, limit: number): Promise<MemoryRecord[]> {
    const params: unknown[] = [query, model, limit];
    const where: string[] = [];
    const columns: Record<string, string> = { userId: 'user_id', sessionId: 'session_id', agent: 'agent', projectId: 'project_id', type: 'type' };
    for (const [key, value] of Object.entries(filter)) {
      params.push(value);
      where.push(`${columns[key]} = $${params.length}`);
    }
    const rows = await this.deps.db.query<MemoryRow>(
      `WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $1)::text, '&', '|'), '')::tsquery AS q)
       SELECT ${RECORD_COLUMNS}
         FROM memories, q
        WHERE q.q IS NOT NULL AND content_tsv @@ q.q AND embedding_model = $2 ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY ts_rank_cd(content_tsv, q.q) DESC, id
        LIMIT $3`,
      params,
    );
    return rows.map(toRecord);
  }
}
