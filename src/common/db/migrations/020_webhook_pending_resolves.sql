-- A resolve the proactive webhook could not deliver (after its retries): its suggestion's
-- state row is already gone, so without this the receiver (a pager, a Slack channel) would show
-- the suggestion raised for ever. Every later reading of any instance takes these rows (one
-- instance each, SKIP LOCKED) and sends them again; one whose suggestion was raised and sent
-- again meanwhile is dropped (the receiver already has the newer raise).
CREATE TABLE webhook_pending_resolves (
  suggestion_id text PRIMARY KEY,
  suggestion json NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
