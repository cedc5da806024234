-- When each cached embedding was last used, so entries nobody asks for any more can be
-- deleted (MEMORY_EMBEDDING_CACHE_DAYS): the cache grew for ever, and kept the embedding of a
-- text after its memory was forgotten.
ALTER TABLE embedding_cache ADD COLUMN used_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX embedding_cache_used_at ON embedding_cache (used_at);
