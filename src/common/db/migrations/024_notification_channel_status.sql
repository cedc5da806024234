-- What each proactive channel (webhook, email) did, shared by every control plane on this
-- database and kept across restarts: the instance that sends a suggestion is whichever claimed
-- it, so one instance's memory cannot say whether the channel is failing. One row per channel;
-- each delivery that ended adds to it (the newest outcome, by the sending instance's clock,
-- decides `failing`). `target` fingerprints where the channel sends (a hash, never the address):
-- a delivery to another target starts the record afresh, and an instance configured for another
-- target does not show this one's.
CREATE TABLE notification_channel_status (
  channel text PRIMARY KEY,
  target text NOT NULL,
  delivered bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  failing boolean NOT NULL DEFAULT false,
  last_outcome_at timestamptz NOT NULL,
  last_delivered_at timestamptz,
  last_failure jsonb,
  since timestamptz NOT NULL DEFAULT now()
);
