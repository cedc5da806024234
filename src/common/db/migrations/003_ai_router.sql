-- AI router: one ledger row per provider attempt, month-to-date spend per scope, per-key budgets.

CREATE TABLE ai_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- One chat request may make several attempts (retries, fallbacks); they share request_id.
  request_id uuid NOT NULL,
  attempt smallint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- First day of the UTC month the cost counts against.
  month date NOT NULL,
  provider text NOT NULL,
  model_key text NOT NULL,
  model text NOT NULL,
  strategy text,
  task_type text,
  input_tokens integer NOT NULL DEFAULT 0,
  output_tokens integer NOT NULL DEFAULT 0,
  tokens_estimated boolean NOT NULL DEFAULT false,
  -- While outcome = 'pending' this is the reservation (the call's upper bound), then the real cost.
  cost_usd numeric(18, 10) NOT NULL DEFAULT 0,
  caller_key_id text,
  caller_user text,
  caller_agent text,
  caller_task_id text,
  latency_ms integer,
  -- pending | ok | abandoned | a provider error kind (rate_limited, server, timeout, ...)
  outcome text NOT NULL,
  error_message text
);
CREATE INDEX ai_ledger_month_idx ON ai_ledger (month, created_at);
CREATE INDEX ai_ledger_pending_idx ON ai_ledger (created_at) WHERE outcome = 'pending';

-- Month-to-date totals per scope ('global', 'key:<id>'): budget checks read one row, not the ledger.
-- reserved_usd is the sum of the scope's pending ledger rows; spent_usd of its settled ones.
CREATE TABLE ai_spend (
  scope text NOT NULL,
  month date NOT NULL,
  spent_usd numeric(18, 10) NOT NULL DEFAULT 0,
  reserved_usd numeric(18, 10) NOT NULL DEFAULT 0,
  alerted_soft boolean NOT NULL DEFAULT false,
  alerted_hard boolean NOT NULL DEFAULT false,
  PRIMARY KEY (scope, month)
);

CREATE TABLE ai_key_budgets (
  key_id text PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  monthly_usd numeric(14, 2) NOT NULL CHECK (monthly_usd >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
