-- Memory layer, graph half (issue 8): who did what. Nodes (users, sessions, tasks, agents,
-- projects, tracks, campaigns...) and typed directed edges between them.
-- src/control-plane/memory/graph-store.ts holds the queries.

CREATE TABLE graph_nodes (
  -- By convention "<kind>:<key>" (user:42, project:album-1); any bounded text is accepted.
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
  label text NOT NULL,
  -- Personal nodes carry {"userId": ...}, so a complete erase finds them by containment.
  properties jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX graph_nodes_kind_idx ON graph_nodes (kind);
-- Delete / find by property (properties @> '{"userId": "u1"}').
CREATE INDEX graph_nodes_properties_idx ON graph_nodes USING gin (properties jsonb_path_ops);

CREATE TABLE graph_edges (
  from_id text NOT NULL REFERENCES graph_nodes (id) ON DELETE CASCADE,
  to_id text NOT NULL REFERENCES graph_nodes (id) ON DELETE CASCADE,
  type text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{0,39}$'),
  properties jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Outgoing edges (by type or all) use this index; a node never links to itself.
  PRIMARY KEY (from_id, type, to_id),
  CHECK (from_id <> to_id)
);
-- Incoming edges, and the cascade when a node is deleted as an edge's target.
CREATE INDEX graph_edges_to_idx ON graph_edges (to_id, type, from_id);
