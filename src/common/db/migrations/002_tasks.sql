-- Durable agent tasks, workflows and schedules (docs/AGENT_SYSTEM.md). These rows are the
-- system of record; the queue's jobs (graphile-worker, own schema) only wake a worker up.

CREATE TABLE workflows (
  id text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
  result jsonb,
  error jsonb,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
  id text PRIMARY KEY,
  -- Insertion order: ties on created_at (one transaction) keep the order tasks were given in.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  agent text NOT NULL,
  task_type text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  payload jsonb NOT NULL,
  -- waiting: a workflow step whose inputs are not ready; queued: runnable.
  status text NOT NULL CHECK (status IN ('waiting', 'queued', 'running', 'completed', 'failed', 'cancelled')),
  result jsonb,
  error jsonb,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  timeout_ms integer NOT NULL,
  -- Copied from the capability: after a crash, queue again (true) or fail "interrupted".
  resumable boolean NOT NULL,
  progress smallint,
  -- The queue worker pool running it (task_workers.id) while status = 'running'.
  worker_id text,
  cancel_requested boolean NOT NULL DEFAULT false,
  workflow_id text REFERENCES workflows (id) ON DELETE CASCADE,
  step_key text,
  depends_on text[] NOT NULL DEFAULT '{}',
  -- Workflow step inputs: payload field -> "stepKey" or "stepKey.path.to.value".
  inputs jsonb,
  schedule_id text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  queued_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_agent_seq_idx ON tasks (agent, seq DESC);
-- Running tasks per worker (heartbeat, crash recovery). Claims (id = ANY(...) AND status =
-- 'queued') go by primary key: an index on status would be picked by a planner that has not
-- seen the backlog yet, and scanned whole.
CREATE INDEX tasks_running_idx ON tasks (worker_id) WHERE status = 'running';
CREATE UNIQUE INDEX tasks_workflow_step_idx ON tasks (workflow_id, step_key) WHERE workflow_id IS NOT NULL;

-- Every state change of a task or workflow (§4.4 audit of agent executions).
CREATE TABLE task_events (
  id bigserial PRIMARY KEY,
  job_id text NOT NULL,
  type text NOT NULL,
  data jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_events_job_idx ON task_events (job_id, id);

-- Cron schedules that create tasks; next_run_at moves forward by compare-and-set, so each
-- slot fires once however many instances tick.
CREATE TABLE task_schedules (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  cron text NOT NULL,
  timezone text NOT NULL,
  agent text NOT NULL,
  task_type text NOT NULL,
  payload jsonb NOT NULL,
  priority text NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
  enabled boolean NOT NULL DEFAULT true,
  next_run_at timestamptz NOT NULL,
  last_run_at timestamptz,
  last_task_id text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_schedules_due_idx ON task_schedules (next_run_at) WHERE enabled;

-- Live queue worker pools (one per control-plane instance) and their heartbeats.
CREATE TABLE task_workers (
  id text PRIMARY KEY,
  instance text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
