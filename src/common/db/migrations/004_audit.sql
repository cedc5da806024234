-- The audit log (blueprint §4.4, src/control-plane/audit): append-only and hash-chained.
-- hash = sha256(prev_hash || canonical JSON of id, seq, created_at, type, actor, subject,
-- outcome, details); seq is gap-free and given under an advisory lock by the appender.

CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  id uuid NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  type text NOT NULL,
  -- API key id, agent name, 'system'.
  actor text,
  -- Command name, route, task id.
  subject text,
  outcome text,
  details jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- Retention (prune by age) and time filters.
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
-- GET /api/v1/audit filters, newest first.
CREATE INDEX audit_log_type_idx ON audit_log (type, seq DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq DESC) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_subject_idx ON audit_log (subject, seq DESC) WHERE subject IS NOT NULL;

-- Where the retained chain starts after a prune: seq and hash of the last entry deleted.
-- The audit.pruned entry appended by the same prune names it, so verify can trust it.
CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash text NOT NULL,
  pruned bigint NOT NULL,
  created_at timestamptz NOT NULL
);

-- Refuses UPDATE, DELETE and TRUNCATE on both tables, so a stray statement fails loudly.
-- The one exception is the retention prune's DELETE on audit_log, in a transaction that set
-- jarvis.audit_prune = 'on' (SET LOCAL / set_config(..., true)). Anyone who can disable a
-- trigger can still tamper: that is what verify detects.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_log' AND coalesce(current_setting('jarvis.audit_prune', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
