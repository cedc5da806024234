import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '../../../common/errors';
import type { AnalyticsStore } from '../analytics/analytics-store';
import type { AutomationStep } from './automation-schemas';

export type StepStatus = 'succeeded' | 'failed' | 'skipped';
export interface StepOutcome {
  key: string;
  module: string;
  action: string;
  status: StepStatus;
  durationMs?: number;
  result?: unknown;
  error?: { code: string; message: string; details?: unknown };
}

export interface WorkflowRecord {
  name: string;
  description: string | null;
  steps: AutomationStep[];
  trigger: { cron: string; timezone: string } | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RunRecord {
  runId: string;
  workflow: string;
  runKey: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  steps: StepOutcome[];
}

interface WorkflowRow {
  name: string;
  description: string | null;
  steps: string;
  trigger: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}
interface RunRow {
  id: string;
  workflow: string;
  run_key: string;
  status: RunRecord['status'];
  started_at: string;
  finished_at: string | null;
  steps: string;
}

const toWorkflow = (r: WorkflowRow): WorkflowRecord => ({
  name: r.name,
  description: r.description,
  steps: JSON.parse(r.steps) as AutomationStep[],
  trigger: r.trigger ? (JSON.parse(r.trigger) as WorkflowRecord['trigger']) : null,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toRun = (r: RunRow): RunRecord => ({
  runId: r.id,
  workflow: r.workflow,
  runKey: r.run_key,
  status: r.status,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  steps: JSON.parse(r.steps) as StepOutcome[],
});

/** Workflow definitions and their runs, in the analytics store's `jarvis` schema. */
export class WorkflowStore {
  private ready?: Promise<void>;

  constructor(private readonly store: AnalyticsStore) {}

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.store.run(`CREATE TABLE IF NOT EXISTS jarvis.automation_workflows (
        name VARCHAR PRIMARY KEY, description VARCHAR, steps VARCHAR NOT NULL, "trigger" VARCHAR,
        created_by VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`);
      await this.store.run(`CREATE TABLE IF NOT EXISTS jarvis.automation_runs (
        id VARCHAR PRIMARY KEY, workflow VARCHAR NOT NULL, run_key VARCHAR NOT NULL, status VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, steps VARCHAR NOT NULL, UNIQUE (workflow, run_key))`);
    })();
    return this.ready;
  }

  async get(name: string): Promise<WorkflowRecord | undefined> {
    await this.init();
    const rows = await this.store.all<WorkflowRow>('SELECT * FROM jarvis.automation_workflows WHERE name = $1', [name]);
    return rows[0] ? toWorkflow(rows[0]) : undefined;
  }

  async list(): Promise<WorkflowRecord[]> {
    await this.init();
    return (await this.store.all<WorkflowRow>('SELECT * FROM jarvis.automation_workflows ORDER BY name')).map(toWorkflow);
  }

  /**
   * Inserts, or replaces when `replace`; answers undefined when the name exists and replace is
   * off. With `ownedBy`, only a workflow created by that caller is replaced (403 otherwise).
   */
  async save(w: Omit<WorkflowRecord, 'createdAt' | 'updatedAt'>, replace: boolean, ownedBy?: string): Promise<WorkflowRecord | undefined> {
    await this.init();
    const now = new Date();
    return this.store.transaction(async (tx) => {
      const existing = await tx.all<{ created_at: string; created_by: string | null }>('SELECT created_at, created_by FROM jarvis.automation_workflows WHERE name = $1', [w.name]);
      if (existing.length && !replace) return undefined;
      if (existing[0] && ownedBy !== undefined && existing[0].created_by !== ownedBy) {
        throw new ForbiddenError(`Workflow "${w.name}" was created by another caller: only its creator or an admin API key may replace it`, { field: 'params.name' });
      }
      await tx.run('DELETE FROM jarvis.automation_workflows WHERE name = $1', [w.name]);
      const createdAt = existing[0] ? new Date(existing[0].created_at) : now;
      await tx.run('INSERT INTO jarvis.automation_workflows VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        w.name, w.description, JSON.stringify(w.steps), w.trigger ? JSON.stringify(w.trigger) : null, w.createdBy, createdAt, now,
      ]);
      const rows = await tx.all<WorkflowRow>('SELECT * FROM jarvis.automation_workflows WHERE name = $1', [w.name]);
      return toWorkflow(rows[0]!);
    });
  }

  /**
   * The run for (workflow, runKey): the existing one when the key was used before (to resume
   * or replay), else a new one, created in the same transaction as the lookup.
   */
  async claimRun(workflow: string, runKey: string | undefined): Promise<{ run: RunRecord; created: boolean }> {
    await this.init();
    const id = `run_${randomUUID()}`;
    const key = runKey ?? id;
    return this.store.transaction(async (tx) => {
      const existing = await tx.all<RunRow>('SELECT * FROM jarvis.automation_runs WHERE workflow = $1 AND run_key = $2', [workflow, key]);
      if (existing[0]) return { run: toRun(existing[0]), created: false };
      await tx.run("INSERT INTO jarvis.automation_runs VALUES ($1, $2, $3, 'running', $4, NULL, '[]')", [id, workflow, key, new Date()]);
      const rows = await tx.all<RunRow>('SELECT * FROM jarvis.automation_runs WHERE id = $1', [id]);
      return { run: toRun(rows[0]!), created: true };
    });
  }

  async saveRun(runId: string, status: RunRecord['status'], steps: StepOutcome[]): Promise<void> {
    await this.store.run('UPDATE jarvis.automation_runs SET status = $2, steps = $3, finished_at = $4 WHERE id = $1', [
      runId, status, JSON.stringify(steps), status === 'running' ? null : new Date(),
    ]);
  }

  async runs(workflow: string | undefined, limit: number): Promise<RunRecord[]> {
    await this.init();
    const rows = await this.store.all<RunRow>(
      'SELECT * FROM jarvis.automation_runs WHERE ($1::VARCHAR IS NULL OR workflow = $1) ORDER BY started_at DESC LIMIT $2',
      [workflow ?? null, limit],
    );
    return rows.map(toRun);
  }
}
