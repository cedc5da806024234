-- API keys: only a SHA-256 digest of the secret part is stored; the key is shown once at creation.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  scopes text[] NOT NULL,
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_active_idx ON api_keys (created_at) WHERE revoked_at IS NULL;
