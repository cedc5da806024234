-- What each key did with the proactive suggestions it was shown: one row per dismissal (the
-- first by that key while the signal lasts), kept after the signal clears, unlike
-- suggestion_dismissals. The adaptive engine learns from it which subjects a key keeps
-- dismissing and stops pushing those to it (docs/PROACTIVE.md, "Adaptive"). Rows older than
-- PROACTIVE_MUTE_WINDOW_MS are deleted at each reading; a key may forget a subject's rows.
CREATE TABLE suggestion_feedback (
  key_id text NOT NULL,
  suggestion_id text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  dismissed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suggestion_feedback_subject ON suggestion_feedback (suggestion_id, key_id);
CREATE INDEX suggestion_feedback_key ON suggestion_feedback (key_id, dismissed_at);
CREATE INDEX suggestion_feedback_age ON suggestion_feedback (dismissed_at);
