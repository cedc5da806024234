import type { Db } from '../../common/db';
import { NotFoundError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { PREFIXED_EDGE_COLUMNS, toEdge, toNode, toPrefixedEdge, type EdgeRow, type NodeRow, type PrefixedEdgeRow } from './graph/graph-rows';
import {
  GraphEdgeBatchSchema,
  GraphEdgeTypeSchema,
  GraphNodeBatchSchema,
  GraphNodeIdSchema,
  GraphPropertyFilterSchema,
  NeighboursQuerySchema,
  RecordWorkSchema,
  ShortestPathQuerySchema,
  TraverseQuerySchema,
  type GraphEdge,
  type GraphEdgeInput,
  type GraphNeighbour,
  type GraphNode,
  type GraphNodeInput,
  type GraphPath,
  type GraphPropertyFilter,
  type GraphTraversal,
  type NeighboursQuery,
  type RecordWorkInput,
  type ShortestPathQuery,
  type TraverseQuery,
} from './graph/graph-schemas';
import { shortestPathSql, traverseSql, visibleSql } from './graph/graph-walk-sql';
import { upsertEdges, upsertNodes } from './graph/graph-writes';
import { workChain } from './graph/work-chain';

export interface GraphStoreOptions {
  /**
   * Rows a walk may produce before it stops (each is one node reached at one depth, or for a
   * path one edge step). Bounds the work of one traversal or path search on a dense graph.
   */
  walkBudget?: number;
}

const DEFAULT_WALK_BUDGET = 50_000;
/** Edges returned with a traversal, per node returned. */
const EDGES_PER_NODE = 5;

type NeighbourRow = NodeRow & PrefixedEdgeRow & { direction: 'out' | 'in' };

/**
 * Nodes and typed directed edges in PostgreSQL (migration 007): who did what, and what
 * relates to what. Every input is validated here, so routes and agents may pass what they
 * were given; expected misses are `undefined`/`null`, unknown nodes in a write a NotFoundError.
 */
export class GraphStore {
  private readonly walkBudget: number;

  constructor(
    private readonly db: Db,
    options: GraphStoreOptions = {},
  ) {
    this.walkBudget = options.walkBudget ?? DEFAULT_WALK_BUDGET;
    if (!Number.isInteger(this.walkBudget) || this.walkBudget < 1) throw new Error('walkBudget must be a positive integer');
  }

  /** Inserts or updates nodes, all or none (see upsertNodes in graph/graph-writes.ts for the rules). */
  async upsertNodes(input: readonly GraphNodeInput[]): Promise<GraphNode[]> {
    const nodes = parseInput(GraphNodeBatchSchema, input, 'nodes');
    return this.db.transaction((tx) => upsertNodes(tx, nodes));
  }

  async upsertNode(input: GraphNodeInput): Promise<GraphNode> {
    const [node] = await this.upsertNodes([input]);
    return node!;
  }

  /** Inserts edges or merges their properties, all or none; both ends must exist. */
  async upsertEdges(input: readonly GraphEdgeInput[]): Promise<GraphEdge[]> {
    const edges = parseInput(GraphEdgeBatchSchema, input, 'edges');
    try {
      return await upsertEdges(this.db, edges);
    } catch (err) {
      if ((err as { code?: string }).code !== '23503') throw err;
      const ids = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
      const found = await this.db.query<{ id: string }>('SELECT id FROM graph_nodes WHERE id = ANY($1::text[])', [ids]);
      const known = new Set(found.map((r) => r.id));
      const missing = ids.filter((id) => !known.has(id));
      throw new NotFoundError(`Unknown graph nodes: ${missing.slice(0, 10).join(', ')}`, { ids: missing }, 'GRAPH_NODE_NOT_FOUND');
    }
  }

  async upsertEdge(input: GraphEdgeInput): Promise<GraphEdge> {
    const [edge] = await this.upsertEdges([input]);
    return edge!;
  }

  async getNode(id: string): Promise<GraphNode | undefined> {
    const [row] = await this.db.query<NodeRow>('SELECT * FROM graph_nodes WHERE id = $1', [parseInput(GraphNodeIdSchema, id, 'id')]);
    return row ? toNode(row) : undefined;
  }

  /**
   * The nodes linked to `id`, newest edge first. A node linked both ways appears once per edge.
   * With `visibleTo`, another user's nodes are left out (and as a start, not found).
   */
  async neighbours(id: string, query: NeighboursQuery = {}): Promise<GraphNeighbour[]> {
    const nodeId = parseInput(GraphNodeIdSchema, id, 'id');
    const q = parseInput(NeighboursQuerySchema, query, 'query');
    const scoped = q.visibleTo !== undefined;
    const filter = `($2::text[] IS NULL OR e.type = ANY($2::text[]))${
      scoped ? ` AND ${visibleSql('n', '$4')} AND EXISTS (SELECT 1 FROM graph_nodes s WHERE s.id = $1 AND ${visibleSql('s', '$4')})` : ''
    }`;
    const out = `SELECT 'out' AS direction, n.*, ${PREFIXED_EDGE_COLUMNS}
                 FROM graph_edges e JOIN graph_nodes n ON n.id = e.to_id WHERE e.from_id = $1 AND ${filter}`;
    const inn = `SELECT 'in' AS direction, n.*, ${PREFIXED_EDGE_COLUMNS}
                 FROM graph_edges e JOIN graph_nodes n ON n.id = e.from_id WHERE e.to_id = $1 AND ${filter}`;
    const branches = q.direction === 'out' ? out : q.direction === 'in' ? inn : `${out} UNION ALL ${inn}`;
    const params: unknown[] = [nodeId, q.types ?? null, q.limit];
    if (scoped) params.push(q.visibleTo);
    const rows = await this.db.query<NeighbourRow>(`SELECT * FROM (${branches}) x ORDER BY edge_created_at DESC, id, edge_type, direction LIMIT $3`, params);
    if (!rows.length) await this.mustExist(nodeId, q.visibleTo);
    return rows.map((r) => ({ node: toNode(r), edge: toPrefixedEdge(r), direction: r.direction }));
  }

  /**
   * The nodes within `depth` steps of `id`, nearest first, and the edges between them. With
   * `visibleTo`, the walk neither returns nor passes through another user's nodes.
   */
  async traverse(id: string, query: TraverseQuery = {}): Promise<GraphTraversal> {
    const start = parseInput(GraphNodeIdSchema, id, 'id');
    const q = parseInput(TraverseQuerySchema, query, 'query');
    const params: unknown[] = [start, q.depth, q.types ?? null, this.walkBudget, q.limit + 1];
    if (q.visibleTo !== undefined) params.push(q.visibleTo);
    const rows = await this.db.query<NodeRow & { depth: number; walked_rows: number | string }>(traverseSql(q.direction, q.visibleTo !== undefined), params);
    if (!rows.length || rows[0]!.id !== start) throw this.notFound(start);
    const kept = rows.slice(0, q.limit);
    const ids = kept.map((r) => r.id);
    const edgeLimit = q.limit * EDGES_PER_NODE;
    const edges = await this.db.query<EdgeRow>(
      `SELECT * FROM graph_edges WHERE from_id = ANY($1::text[]) AND to_id = ANY($1::text[])
         AND ($2::text[] IS NULL OR type = ANY($2::text[]))
       ORDER BY from_id, type, to_id LIMIT $3`,
      [ids, q.types ?? null, edgeLimit + 1],
    );
    const budgetSpent = Number(rows[0]!.walked_rows) >= this.walkBudget;
    return {
      nodes: kept.map((r) => ({ node: toNode(r), depth: Number(r.depth) })),
      edges: edges.slice(0, edgeLimit).map(toEdge),
      truncated: rows.length > q.limit || edges.length > edgeLimit || budgetSpent,
    };
  }

  /**
   * A shortest path from `from` to `to` (over edges of either direction with 'both'), or
   * null when there is none within `maxDepth` steps, or none was found within the walk budget.
   */
  async shortestPath(from: string, to: string, query: ShortestPathQuery = {}): Promise<GraphPath | null> {
    const fromId = parseInput(GraphNodeIdSchema, from, 'from');
    const toId = parseInput(GraphNodeIdSchema, to, 'to');
    const q = parseInput(ShortestPathQuerySchema, query, 'query');
    const params: unknown[] = [fromId, toId, q.maxDepth, q.types ?? null, this.walkBudget];
    if (q.visibleTo !== undefined) params.push(q.visibleTo);
    const rows = await this.db.query<NodeRow & Partial<PrefixedEdgeRow> & { depth: number }>(shortestPathSql(q.direction, q.visibleTo !== undefined), params);
    // A gap (a node or edge deleted meanwhile, or an invisible start) means no answer.
    if (!rows.length || Number(rows[0]!.depth) !== 0 || rows.length !== Number(rows[rows.length - 1]!.depth) + 1) return null;
    const edges = rows.slice(1).map((r) => (r.edge_from === null || r.edge_from === undefined ? undefined : toPrefixedEdge(r as PrefixedEdgeRow)));
    if (edges.some((e) => e === undefined)) return null;
    return { nodes: rows.map(toNode), edges: edges as GraphEdge[], length: edges.length };
  }

  /** Deletes a node; its edges go with it (ON DELETE CASCADE). Returns what was removed. */
  async deleteNode(id: string): Promise<{ node: GraphNode; edges: GraphEdge[] } | undefined> {
    const nodeId = parseInput(GraphNodeIdSchema, id, 'id');
    return this.db.transaction(async (tx) => {
      // FOR UPDATE blocks new edges to the node (their foreign-key check needs a share lock
      // on it), so the edges read next are exactly those the cascade removes.
      const [row] = await tx.query<NodeRow>('SELECT * FROM graph_nodes WHERE id = $1 FOR UPDATE', [nodeId]);
      if (!row) return undefined;
      const edges = await tx.query<EdgeRow>('SELECT * FROM graph_edges WHERE from_id = $1 OR to_id = $1 ORDER BY from_id, type, to_id', [nodeId]);
      await tx.query('DELETE FROM graph_nodes WHERE id = $1', [nodeId]);
      return { node: toNode(row), edges: edges.map(toEdge) };
    });
  }

  async deleteEdge(edge: { from: string; type: string; to: string }): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM graph_edges WHERE from_id = $1 AND type = $2 AND to_id = $3 RETURNING 1', [
      parseInput(GraphNodeIdSchema, edge.from, 'from'),
      parseInput(GraphEdgeTypeSchema, edge.type, 'type'),
      parseInput(GraphNodeIdSchema, edge.to, 'to'),
    ]);
    return rows.length > 0;
  }

  /**
   * Deletes every node whose properties contain `filter` (e.g. `{ userId }`: a user's complete
   * erase) and, by cascade, their edges. Returns the node ids and the number of edges removed.
   */
  async deleteByProperties(filter: GraphPropertyFilter): Promise<{ nodeIds: string[]; edges: number }> {
    const match = JSON.stringify(parseInput(GraphPropertyFilterSchema, filter, 'filter'));
    return this.db.transaction(async (tx) => {
      const doomed = await tx.query<{ id: string }>('SELECT id FROM graph_nodes WHERE properties @> $1::jsonb ORDER BY id FOR UPDATE', [match]);
      const ids = doomed.map((r) => r.id);
      if (!ids.length) return { nodeIds: [], edges: 0 };
      const [counted] = await tx.query<{ n: number | string }>(
        'SELECT count(*) AS n FROM graph_edges WHERE from_id = ANY($1::text[]) OR to_id = ANY($1::text[])',
        [ids],
      );
      await tx.query('DELETE FROM graph_nodes WHERE id = ANY($1::text[])', [ids]);
      return { nodeIds: ids, edges: Number(counted!.n) };
    });
  }

  /** Records who did what (see workChain) in one transaction; idempotent. */
  async recordWork(input: RecordWorkInput): Promise<{ nodes: GraphNode[]; edges: GraphEdge[] }> {
    const chain = workChain(parseInput(RecordWorkSchema, input, 'work'));
    return this.db.transaction(async (tx) => ({
      nodes: await upsertNodes(tx, chain.nodes),
      edges: await upsertEdges(tx, chain.edges),
    }));
  }

  private async mustExist(id: string, visibleTo: string | undefined): Promise<void> {
    const [row] =
      visibleTo === undefined
        ? await this.db.query('SELECT 1 FROM graph_nodes WHERE id = $1', [id])
        : await this.db.query(`SELECT 1 FROM graph_nodes n WHERE id = $1 AND ${visibleSql('n', '$2')}`, [id, visibleTo]);
    if (!row) throw this.notFound(id);
  }

  private notFound(id: string): NotFoundError {
    return new NotFoundError(`No graph node "${id}"`, { id }, 'GRAPH_NODE_NOT_FOUND');
  }
}
