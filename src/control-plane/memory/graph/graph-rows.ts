import type { GraphEdge, GraphNode, GraphProperties } from './graph-schemas';

export interface NodeRow {
  id: string;
  kind: string;
  label: string;
  properties: GraphProperties;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface EdgeRow {
  from_id: string;
  to_id: string;
  type: string;
  properties: GraphProperties;
  created_at: Date | string;
}

/** An edge selected next to a node's own columns, under other names. */
export interface PrefixedEdgeRow {
  edge_from: string;
  edge_to: string;
  edge_type: string;
  edge_properties: GraphProperties;
  edge_created_at: Date | string;
}

const iso = (v: Date | string) => new Date(v).toISOString();

export const toNode = (r: NodeRow): GraphNode => ({
  id: r.id,
  kind: r.kind,
  label: r.label,
  properties: r.properties,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export const toEdge = (r: EdgeRow): GraphEdge => ({
  from: r.from_id,
  to: r.to_id,
  type: r.type,
  properties: r.properties,
  createdAt: iso(r.created_at),
});

export const toPrefixedEdge = (r: PrefixedEdgeRow): GraphEdge => ({
  from: r.edge_from,
  to: r.edge_to,
  type: r.edge_type,
  properties: r.edge_properties,
  createdAt: iso(r.edge_created_at),
});

/** SELECT list of an edge next to its node (see PrefixedEdgeRow). */
export const PREFIXED_EDGE_COLUMNS = 'e.from_id AS edge_from, e.to_id AS edge_to, e.type AS edge_type, e.properties AS edge_properties, e.created_at AS edge_created_at';
