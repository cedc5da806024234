-- Dismissed proactive suggestions, per key, shared by every control-plane instance and kept
-- across restarts. A row lives while the suggestion's signal lasts: the first evaluation that
-- no longer finds the signal deletes it, so the suggestion shows again when the signal returns.
-- dismissed_at is the database's clock, which every instance shares.
CREATE TABLE suggestion_dismissals (
  suggestion_id text NOT NULL,
  key_id text NOT NULL,
  dismissed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (suggestion_id, key_id)
);
