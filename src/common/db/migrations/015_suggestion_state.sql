-- When each active proactive suggestion was first raised, shared by every control-plane
-- instance and kept across restarts, so "raised at" is the same on every instance and does
-- not move to the time of the last restart. Each reading that finds the signal sets seen_at
-- (the database's clock); the first reading that no longer finds it, and started after the
-- row was last seen, deletes the row. Suggestions of an instance's own breakers are not here.
CREATE TABLE suggestion_state (
  suggestion_id text PRIMARY KEY,
  raised_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);
