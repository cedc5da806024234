import type { TaskPriority, TaskStatus } from './types';

export interface TaskError {
  code: string;
  message: string;
  details?: unknown;
}

/** A task as the API shows it. */
export interface TaskRecord {
  id: string;
  agent: string;
  taskType: string;
  priority: TaskPriority;
  status: TaskStatus;
  payload: unknown;
  result?: unknown;
  error?: TaskError;
  attempts: number;
  maxAttempts: number;
  progress?: number;
  cancelRequested: boolean;
  workflowId?: string;
  stepKey?: string;
  dependsOn?: string[];
  scheduleId?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface TaskEventRecord {
  id: number;
  type: string;
  data?: unknown;
  at: string;
}

export interface TaskRow {
  id: string;
  agent: string;
  task_type: string;
  priority: TaskPriority;
  status: TaskStatus;
  payload: unknown;
  result: unknown;
  error: TaskError | null;
  attempts: number;
  max_attempts: number;
  progress: number | null;
  cancel_requested: boolean;
  workflow_id: string | null;
  step_key: string | null;
  depends_on: string[];
  schedule_id: string | null;
  /** The principal that queued it (its workflow's or schedule's creator for steps and slots); null for system tasks. */
  created_by?: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

export const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();
const isoOpt = (value: Date | string | null): string | undefined => (value === null ? undefined : iso(value));

export function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    agent: row.agent,
    taskType: row.task_type,
    priority: row.priority,
    status: row.status,
    payload: row.payload,
    ...(row.result === null || row.result === undefined ? {} : { result: row.result }),
    ...(row.error ? { error: row.error } : {}),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    ...(row.progress === null ? {} : { progress: row.progress }),
    cancelRequested: row.cancel_requested,
    ...(row.workflow_id ? { workflowId: row.workflow_id, stepKey: row.step_key ?? undefined, dependsOn: row.depends_on } : {}),
    ...(row.schedule_id ? { scheduleId: row.schedule_id } : {}),
    createdAt: iso(row.created_at),
    startedAt: isoOpt(row.started_at),
    finishedAt: isoOpt(row.finished_at),
  };
}

export const TASK_COLUMNS =
  'id, agent, task_type, priority, status, payload, result, error, attempts, max_attempts, progress, cancel_requested, workflow_id, step_key, depends_on, schedule_id, created_by, created_at, started_at, finished_at';
