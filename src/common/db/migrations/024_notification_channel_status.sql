-- What each proactive channel (webhook, email) did, shared by every control plane on this
-- database and kept across restarts: the instance that sends a suggestion is whichever claimed
-- it, so one instance's memory cannot say whether the channel is failing. One row per channel;
-- each delivery that ended adds to it (the newest outcome, by the sending instance's clock,
-- decides `failing`).
CREATE TABLE notification_channel_status (
  channel text PRIMARY KEY,
  delivered bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  failing boolean NOT NULL DEFAULT false,
  last_outcome_at timestamptz NOT NULL,
  last_delivered_at timestamptz,
  last_failure jsonb,
  since timestamptz NOT NULL DEFAULT now()
);
