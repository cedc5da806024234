-- The router's latency per model is the moving average of its latest successful calls, read
-- from the ledger (every instance's calls, and what survives a restart): the newest 20 per model.
CREATE INDEX ai_ledger_latency_idx ON ai_ledger (model_key, created_at DESC) WHERE outcome = 'ok';
