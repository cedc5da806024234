-- Commands the terminal firewall holds for a human decision (issue 7).
CREATE TABLE command_approvals (
  id text PRIMARY KEY,
  -- API key id (or the integration token's label) that asked; it may never approve itself.
  requested_by text NOT NULL,
  command text NOT NULL,
  args jsonb NOT NULL,
  cwd text NOT NULL,
  env jsonb NOT NULL DEFAULT '{}',
  rule text NOT NULL,
  subcommand text,
  reason text NOT NULL,
  -- pending → approved → running → finished | failed; pending → denied | expired
  status text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  result jsonb
);
CREATE INDEX command_approvals_pending_idx ON command_approvals (expires_at) WHERE status = 'pending';
CREATE INDEX command_approvals_created_idx ON command_approvals (created_at DESC);
