-- The severity at which a suggestion was last sent to the proactive webhook
-- (PROACTIVE_WEBHOOK_URL), NULL while it has not been. One instance claims each send by
-- changing it in one statement, so several control planes send each raise, severity change
-- and resolve once; a delivery that fails for good sets it back, and a later reading retries.
ALTER TABLE suggestion_state ADD COLUMN notified_severity text CHECK (notified_severity IN ('info', 'warning', 'critical'));
