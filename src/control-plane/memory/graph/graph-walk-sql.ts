import type { GraphDirection } from './graph-schemas';

/*
 * Breadth-first walks as recursive CTEs.
 *
 * Why not a path array (or the CYCLE clause, which is the same thing)? Cycle protection by
 * path enumerates every simple path, and their number grows as fanout^depth: a node with 30
 * neighbours is 729 million paths at depth 6. Instead a walk row is (node, depth[, the step
 * that reached it]) and the CTE uses UNION, which drops a row already produced, so each
 * level holds each node (or each edge) at most once: at most depth x nodes rows, with cycles
 * ending at the depth limit. A node reached again deeper is harmless: readers keep its
 * smallest depth.
 *
 * PostgreSQL produces a recursive CTE level by level and only as far as the query above it
 * reads, so `LIMIT $budget` on the walk both caps the work and keeps every shallower level
 * complete: an answer found within the budget is a shortest one.
 */

/**
 * With a scope, nodes that carry another user's `userId` property are invisible: never
 * returned, never walked through. Nodes without one (agents, projects) are shared.
 */
export function visibleSql(node: string, scope: string): string {
  return `coalesce(${node}.properties->>'userId', ${scope}::text) = ${scope}::text`;
}

/**
 * The steps from `w.node_id`: columns (id, type, dir). `types` is a text[] parameter, NULL
 * for all types; `scope` (a user id parameter) restricts the steps to visible nodes.
 */
function stepSql(direction: GraphDirection, types: string, scope?: string): string {
  const typeFilter = `(${types}::text[] IS NULL OR e.type = ANY(${types}::text[]))`;
  const step = (id: string, other: string, dir: string) =>
    scope
      ? `SELECT e.${id} AS id, e.type, '${dir}'::text AS dir FROM graph_edges e JOIN graph_nodes v ON v.id = e.${id}
         WHERE e.${other} = w.node_id AND ${typeFilter} AND ${visibleSql('v', scope)}`
      : `SELECT e.${id} AS id, e.type, '${dir}'::text AS dir FROM graph_edges e WHERE e.${other} = w.node_id AND ${typeFilter}`;
  const out = step('to_id', 'from_id', 'out');
  const inn = step('from_id', 'to_id', 'in');
  if (direction === 'out') return out;
  if (direction === 'in') return inn;
  return `${out} UNION ALL ${inn}`;
}

/**
 * $1 start, $2 depth, $3 types, $4 walk budget (rows), $5 nodes to return[, $6 scope].
 * Rows: the node's columns, its depth, and walked_rows (the budget was spent when it equals $4).
 */
export function traverseSql(direction: GraphDirection, scoped: boolean): string {
  return `WITH RECURSIVE walk(node_id, depth) AS (
      SELECT $1::text, 0
      UNION
      SELECT s.id, w.depth + 1
      FROM walk w CROSS JOIN LATERAL (${stepSql(direction, '$3', scoped ? '$6' : undefined)}) s
      WHERE w.depth < $2 AND s.id <> $1
    ),
    walked AS MATERIALIZED (SELECT node_id, depth FROM walk LIMIT $4),
    reached AS (SELECT node_id, min(depth) AS depth FROM walked GROUP BY node_id)
    SELECT n.*, r.depth, (SELECT count(*) FROM walked) AS walked_rows
    FROM reached r JOIN graph_nodes n ON n.id = r.node_id
    WHERE ${scoped ? visibleSql('n', '$6') : 'true'}
    ORDER BY r.depth, n.id
    LIMIT $5`;
}

/**
 * $1 from, $2 to, $3 max depth, $4 types, $5 walk budget (rows)[, $6 scope].
 *
 * Each walk row remembers the step that reached it (predecessor, edge type, direction); a
 * second recursive CTE walks back from the shallowest arrival at `to`, one predecessor per
 * level, to the start. Ties between equally short paths go to the smallest ids. The walk does
 * not go on from `to`, back to `from`, or straight back along the edge it came by.
 * Rows: one per node of the path, in order, with the edge that led to it (null for `from`);
 * with a scope, an invisible `from` is left out (and the path is then no answer).
 */
export function shortestPathSql(direction: GraphDirection, scoped: boolean): string {
  return `WITH RECURSIVE walk(node_id, depth, pred_id, edge_type, edge_dir) AS (
      SELECT $1::text, 0, NULL::text, NULL::text, NULL::text
      UNION
      SELECT s.id, w.depth + 1, w.node_id, s.type, s.dir
      FROM walk w CROSS JOIN LATERAL (${stepSql(direction, '$4', scoped ? '$6' : undefined)}) s
      WHERE w.depth < $3 AND w.node_id <> $2 AND s.id <> $1 AND s.id IS DISTINCT FROM w.pred_id
    ),
    walked AS MATERIALIZED (SELECT * FROM walk LIMIT $5),
    arrival AS (SELECT * FROM walked WHERE node_id = $2 ORDER BY depth, pred_id, edge_type, edge_dir LIMIT 1),
    back AS (
      SELECT * FROM arrival
      UNION ALL
      SELECT p.* FROM back b CROSS JOIN LATERAL (
        SELECT * FROM walked w WHERE w.node_id = b.pred_id AND w.depth = b.depth - 1
        ORDER BY w.pred_id, w.edge_type, w.edge_dir LIMIT 1
      ) p
    )
    SELECT b.depth, n.*,
           e.from_id AS edge_from, e.to_id AS edge_to, e.type AS edge_type,
           e.properties AS edge_properties, e.created_at AS edge_created_at
    FROM back b
    JOIN graph_nodes n ON n.id = b.node_id
    LEFT JOIN graph_edges e ON e.type = b.edge_type AND (
      (b.edge_dir = 'out' AND e.from_id = b.pred_id AND e.to_id = b.node_id) OR
      (b.edge_dir = 'in' AND e.from_id = b.node_id AND e.to_id = b.pred_id))
    WHERE ${scoped ? visibleSql('n', '$6') : 'true'}
    ORDER BY b.depth`;
}
