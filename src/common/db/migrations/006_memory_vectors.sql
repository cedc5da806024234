-- Memory layer, vector half (issue 8): memories with their embeddings, and the embedding cache.
--
-- The embedding is real[], not pgvector's vector: this migration must also run on a server
-- PostgreSQL without the extension (the exact-scan fallback reads the array directly). Where
-- pgvector exists, the vector store creates at run time one partial HNSW index per dimension
-- in use, over the expression embedding::vector(d) (src/control-plane/memory/hnsw-index.ts),
-- and orders by the same expression so the planner can use it.

CREATE TABLE memories (
  id text PRIMARY KEY,
  user_id text,
  session_id text,
  agent text,
  project_id text,
  type text NOT NULL DEFAULT 'note',
  content text NOT NULL,
  -- sha256 hex of content: exact duplicates without comparing texts.
  content_hash text NOT NULL,
  -- L2-normalised by the vector store, so cosine similarity is a dot product.
  embedding real[] NOT NULL,
  -- "<provider>/<model>": vectors of different models (or dimensions) are never compared.
  embedding_model text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Full-text side of hybrid recall (the memory manager fuses it with vector similarity).
  content_tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  CONSTRAINT memories_embedding_shape CHECK (array_ndims(embedding) = 1 AND cardinality(embedding) = dimensions)
);
CREATE INDEX memories_user_idx ON memories (user_id, created_at DESC);
CREATE INDEX memories_session_idx ON memories (session_id) WHERE session_id IS NOT NULL;
-- The exact-scan fallback's candidate set: one model and dimension.
CREATE INDEX memories_space_idx ON memories (embedding_model, dimensions, created_at DESC);
CREATE INDEX memories_content_hash_idx ON memories (content_hash);
CREATE INDEX memories_content_tsv_idx ON memories USING gin (content_tsv);

-- Provider embeddings by sha256(content), model and dimension: a text is sent to a paid
-- provider once. No eviction yet; created_at lets a retention job prune it.
CREATE TABLE embedding_cache (
  model text NOT NULL,
  dimensions integer NOT NULL,
  content_hash text NOT NULL,
  embedding real[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, dimensions, content_hash)
);
