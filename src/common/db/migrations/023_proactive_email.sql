-- Proactive e-mail (PROACTIVE_EMAIL_TO) keeps its own record of what it sent, as the webhook
-- does in notified_severity and webhook_pending_resolves: one channel failing never holds back
-- or repeats the other.
ALTER TABLE suggestion_state ADD COLUMN email_notified_severity text CHECK (email_notified_severity IN ('info', 'warning', 'critical'));
CREATE TABLE email_pending_resolves (
  suggestion_id text PRIMARY KEY,
  suggestion json NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
