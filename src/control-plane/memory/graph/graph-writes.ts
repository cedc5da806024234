import type { Queryable } from '../../../common/db';
import { ConflictError } from '../../../common/errors';
import { toEdge, toNode, type EdgeRow, type NodeRow } from './graph-rows';
import type { GraphEdge, GraphNode, GraphProperties } from './graph-schemas';

/** A validated node or edge (defaults not yet applied). */
export interface NodeWrite {
  id: string;
  kind: string;
  label?: string;
  properties?: GraphProperties;
}

export interface EdgeWrite {
  from: string;
  to: string;
  type: string;
  properties?: GraphProperties;
}

/**
 * One row per id: ON CONFLICT cannot touch a row twice in one statement, so repeats are
 * merged here (later label wins, properties merged). One id with two kinds is refused.
 */
function mergeNodes(nodes: readonly NodeWrite[]): NodeWrite[] {
  const byId = new Map<string, NodeWrite>();
  for (const n of nodes) {
    const seen = byId.get(n.id);
    if (seen && seen.kind !== n.kind) throw new ConflictError(`Node "${n.id}" is given as both "${seen.kind}" and "${n.kind}"`, { id: n.id });
    byId.set(n.id, seen ? { ...seen, label: n.label ?? seen.label, properties: { ...seen.properties, ...n.properties } } : n);
  }
  return [...byId.values()];
}

function mergeEdges(edges: readonly EdgeWrite[]): EdgeWrite[] {
  const byKey = new Map<string, EdgeWrite>();
  for (const e of edges) {
    const key = JSON.stringify([e.from, e.type, e.to]);
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, properties: { ...seen.properties, ...e.properties } } : e);
  }
  return [...byKey.values()];
}

/**
 * Inserts or updates nodes in one statement: a given label replaces the stored one,
 * properties are merged (shallow), updated_at moves. A node's kind never changes: an id
 * stored with another kind is a ConflictError, and the caller's transaction must roll back
 * (the rows before it in the statement were written). Rows go in id order, so two
 * overlapping batches lock in the same order and cannot deadlock.
 */
export async function upsertNodes(q: Queryable, nodes: readonly NodeWrite[]): Promise<GraphNode[]> {
  const merged = mergeNodes(nodes);
  const rows = await q.query<NodeRow>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS u(id, kind, label, properties)
     )
     INSERT INTO graph_nodes AS n (id, kind, label, properties)
     SELECT id, kind, coalesce(label, id), properties FROM input ORDER BY id
     ON CONFLICT (id) DO UPDATE SET
       label = coalesce((SELECT i.label FROM input i WHERE i.id = EXCLUDED.id), n.label),
       properties = n.properties || EXCLUDED.properties,
       updated_at = now()
     WHERE n.kind = EXCLUDED.kind
     RETURNING n.*`,
    [merged.map((n) => n.id), merged.map((n) => n.kind), merged.map((n) => n.label ?? null), merged.map((n) => JSON.stringify(n.properties ?? {}))],
  );
  if (rows.length < merged.length) {
    const written = new Set(rows.map((r) => r.id));
    const clashes = merged.filter((n) => !written.has(n.id)).map((n) => n.id);
    throw new ConflictError(`Nodes exist with another kind: ${clashes.slice(0, 10).join(', ')}`, { ids: clashes });
  }
  const byId = new Map(rows.map((r) => [r.id, toNode(r)]));
  return merged.map((n) => byId.get(n.id)!);
}

/**
 * Inserts edges, or merges the properties of those that exist, in one statement. Both ends
 * must exist (a foreign-key violation, 23503, otherwise).
 */
export async function upsertEdges(q: Queryable, edges: readonly EdgeWrite[]): Promise<GraphEdge[]> {
  const merged = mergeEdges(edges);
  const rows = await q.query<EdgeRow>(
    `INSERT INTO graph_edges AS e (from_id, to_id, type, properties)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS u(from_id, to_id, type, properties)
     ORDER BY from_id, type, to_id
     ON CONFLICT (from_id, type, to_id) DO UPDATE SET properties = e.properties || EXCLUDED.properties
     RETURNING e.*`,
    [merged.map((e) => e.from), merged.map((e) => e.to), merged.map((e) => e.type), merged.map((e) => JSON.stringify(e.properties ?? {}))],
  );
  const byKey = new Map(rows.map((r) => [JSON.stringify([r.from_id, r.type, r.to_id]), toEdge(r)]));
  return merged.map((e) => byKey.get(JSON.stringify([e.from, e.type, e.to]))!);
}
