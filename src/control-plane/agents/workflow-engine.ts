import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../common/db';
import { ConflictError, NotFoundError } from '../../common/errors';
import { fieldError } from '../../common/validation';
import { valueAt } from '../../common/value-path';
import type { AgentRegistry } from './agent-registry';
import type { TaskEventBus } from './task-event-bus';
import { checkPayload, resolveCapability } from './payload-check';
import { TaskStore, type NewTask } from './task-store';
import type { TaskError } from './task-records';
import type { TaskPriority } from './types';

export interface WorkflowStepInput {
  key: string;
  agent: string;
  taskType: string;
  payload: Record<string, unknown>;
  priority: TaskPriority;
  dependsOn: string[];
  /** payload field → "stepKey" or "stepKey.path.to.value" of a step this one depends on. */
  inputs: Record<string, string>;
}

export interface TaskDefaults {
  maxAttempts: number;
}

/** A step as a workflow summary sees it when its workflow ends. */
export interface SummaryStep {
  key: string;
  agent: string;
  taskType: string;
  status: string;
  result: unknown;
  error: TaskError | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Builds the result of a workflow of some kind when it ends (completed, or failed at a step),
 * from its steps' results and timings. Stored as the workflow's result, so every client (job
 * endpoint, MCP, CLI, WebSocket) reads the same answer.
 */
export type WorkflowSummary = (
  workflow: { id: string; name: string; status: 'completed' | 'failed'; createdAt: Date; finishedAt: Date },
  steps: readonly SummaryStep[],
) => unknown;

export interface WorkflowOptions {
  /** Names the summary (of the engine's `summaries`) that builds the result when the workflow ends. */
  kind?: string;
  /** A fixed id: creating it again answers the existing workflow (a retried task starting "its" workflow). */
  id?: string;
}

interface StepRow {
  id: string;
  step_key: string;
  status: string;
  agent: string;
  task_type: string;
  payload: Record<string, unknown>;
  inputs: Record<string, string> | null;
  depends_on: string[];
  result: unknown;
  error: TaskError | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const asDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

/** Rejects duplicate keys, unknown dependencies, cycles and inputs from steps not depended on. */
export function checkGraph(steps: readonly WorkflowStepInput[]): void {
  const keys = new Set<string>();
  steps.forEach((step, i) => {
    if (keys.has(step.key)) throw fieldError(`body.steps.${i}.key`, `"${step.key}" is used by another step`);
    keys.add(step.key);
  });
  steps.forEach((step, i) => {
    step.dependsOn.forEach((dep, j) => {
      if (!keys.has(dep)) throw fieldError(`body.steps.${i}.dependsOn.${j}`, `names no step ("${dep}")`);
      if (dep === step.key) throw fieldError(`body.steps.${i}.dependsOn.${j}`, 'a step cannot depend on itself');
    });
    for (const [field, source] of Object.entries(step.inputs)) {
      const from = source.split('.')[0]!;
      if (!step.dependsOn.includes(from)) {
        throw fieldError(`body.steps.${i}.inputs.${field}`, `reads step "${from}", which this step does not depend on`);
      }
    }
  });
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, trail: string[]) => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') throw fieldError('body.steps', `steps form a cycle: ${[...trail, key].join(' → ')}`);
    state.set(key, 'visiting');
    for (const dep of byKey.get(key)!.dependsOn) visit(dep, [...trail, key]);
    state.set(key, 'done');
  };
  for (const step of steps) visit(step.key, []);
}

/**
 * Workflows: graphs of agent tasks. Steps are task rows (status `waiting` until their inputs
 * are ready); a step's completion advances its workflow in the same transaction that records
 * it, so a crash can neither lose the hand-over nor run a completed step again.
 */
export class WorkflowEngine {
  constructor(
    private readonly db: Db,
    private readonly store: TaskStore,
    private readonly registry: AgentRegistry,
    private readonly bus: TaskEventBus,
    private readonly defaults: TaskDefaults,
    private readonly summaries: Readonly<Record<string, WorkflowSummary>> = {},
    /** Told when a summary throws (the workflow then keeps the plain result). */
    private readonly onSummaryError?: (workflowId: string, err: unknown) => void,
  ) {}

  async create(name: string, steps: readonly WorkflowStepInput[], createdBy?: string, options: WorkflowOptions = {}): Promise<{ workflowId: string; taskIds: Record<string, string>; existing?: true }> {
    checkGraph(steps);
    if (options.kind !== undefined && !this.summaries[options.kind]) throw new Error(`no workflow summary named ${options.kind}`);
    const tasks: NewTask[] = steps.map((step, i) => {
      const cap = resolveCapability(this.registry, step.agent, step.taskType, `body.steps.${i}`);
      const ready = step.dependsOn.length === 0;
      // Fields filled from inputs are checked when the step becomes ready; everything else now.
      const payload = checkPayload(cap, step.payload, `body.steps.${i}.payload`, new Set(Object.keys(step.inputs)));
      return {
        id: `tsk_${randomUUID()}`,
        agent: step.agent,
        taskType: step.taskType,
        priority: step.priority,
        payload,
        status: ready ? 'queued' : 'waiting',
        maxAttempts: this.defaults.maxAttempts,
        timeoutMs: cap.timeoutMs,
        resumable: cap.resumable,
        stepKey: step.key,
        dependsOn: step.dependsOn,
        inputs: Object.keys(step.inputs).length ? step.inputs : undefined,
        createdBy,
      };
    });
    const workflowId = options.id ?? `wf_${randomUUID()}`;
    for (const t of tasks) t.workflowId = workflowId;
    const existing = await this.db.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }>(
        'INSERT INTO workflows (id, name, status, created_by, kind) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id',
        [workflowId, name, 'running', createdBy ?? null, options.kind ?? null],
      );
      if (!inserted[0]) return tx.query<{ id: string; step_key: string }>('SELECT id, step_key FROM tasks WHERE workflow_id = $1', [workflowId]);
      await this.store.event(tx, workflowId, 'workflow.created', { name, steps: steps.map((s) => s.key) });
      await this.store.insertTasks(tx, tasks);
      return undefined;
    });
    if (existing) return { workflowId, taskIds: Object.fromEntries(existing.map((t) => [t.step_key, t.id])), existing: true };
    this.bus.publish({ type: 'workflow.created', jobId: workflowId, workflowId });
    for (const t of tasks) this.bus.publish({ type: 'task.created', jobId: t.id, agent: t.agent, taskType: t.taskType, workflowId });
    return { workflowId, taskIds: Object.fromEntries(tasks.map((t) => [t.stepKey!, t.id])) };
  }

  /**
   * Moves workflows forward after some of their steps ended, inside the caller's transaction.
   * The workflow row is locked first (ids sorted, so concurrent callers cannot deadlock), so
   * two steps finishing at once on two instances still release their common successor once.
   */
  async advance(tx: Queryable, workflowIds: readonly string[]): Promise<Array<() => void>> {
    const notes: Array<() => void> = [];
    for (const workflowId of [...new Set(workflowIds)].sort()) {
      const locked = await tx.query<{ status: string; name: string; kind: string | null; created_at: Date | string }>(
        'SELECT status, name, kind, created_at FROM workflows WHERE id = $1 FOR UPDATE',
        [workflowId],
      );
      const workflow = locked[0];
      if (workflow?.status !== 'running') continue;
      const steps = await tx.query<StepRow>(
        'SELECT id, step_key, status, agent, task_type, payload, inputs, depends_on, result, error, started_at, finished_at FROM tasks WHERE workflow_id = $1 ORDER BY seq',
        [workflowId],
      );
      const summarize = (status: 'completed' | 'failed'): unknown => {
        const summary = workflow.kind ? this.summaries[workflow.kind] : undefined;
        // A summary that cannot read its steps must not undo the step's own outcome: the plain result stands.
        try {
          return summary?.(
          { id: workflowId, name: workflow.name, status, createdAt: asDate(workflow.created_at)!, finishedAt: new Date() },
            steps.map((s) => ({ key: s.step_key, agent: s.agent, taskType: s.task_type, status: s.status, result: s.result, error: s.error, startedAt: asDate(s.started_at), finishedAt: asDate(s.finished_at) })),
          );
        } catch (err) {
          this.onSummaryError?.(workflowId, err);
          return undefined;
        }
      };
      const broken = steps.find((s) => s.status === 'failed' || s.status === 'cancelled');
      if (broken) {
        const status = broken.status === 'failed' ? 'failed' : 'cancelled';
        notes.push(...(await this.end(tx, workflowId, status, broken, status === 'failed' ? summarize('failed') : undefined)));
        continue;
      }
      if (steps.every((s) => s.status === 'completed')) {
        const needed = new Set(steps.flatMap((s) => s.depends_on));
        const result = summarize('completed') ?? Object.fromEntries(steps.filter((s) => !needed.has(s.step_key)).map((s) => [s.step_key, s.result]));
        await tx.query(`UPDATE workflows SET status = 'completed', result = $2, finished_at = now(), updated_at = now() WHERE id = $1`, [workflowId, JSON.stringify(result)]);
        await this.store.event(tx, workflowId, 'workflow.completed');
        notes.push(() => this.bus.publish({ type: 'workflow.completed', jobId: workflowId, workflowId }));
        continue;
      }
      notes.push(...(await this.release(tx, workflowId, steps)));
    }
    return notes;
  }

  private async release(tx: Queryable, workflowId: string, steps: StepRow[]): Promise<Array<() => void>> {
    const byKey = new Map(steps.map((s) => [s.step_key, s]));
    const ready = steps.filter((s) => s.status === 'waiting' && s.depends_on.every((d) => byKey.get(d)?.status === 'completed'));
    const notes: Array<() => void> = [];
    for (const step of ready) {
      const payload: Record<string, unknown> = { ...step.payload };
      for (const [field, source] of Object.entries(step.inputs ?? {})) {
        const [from, ...path] = source.split('.');
        payload[field] = valueAt(byKey.get(from!)?.result, path);
      }
      const cap = this.registry.get(step.agent)?.capability(step.task_type);
      const parsed = cap?.payload.safeParse(payload);
      if (!parsed?.success) {
        const error: TaskError = {
          code: 'STEP_INPUT_INVALID',
          message: `Step "${step.step_key}" got inputs its task type does not accept`,
          details: parsed ? parsed.error.issues : undefined,
        };
        await tx.query(`UPDATE tasks SET status = 'failed', error = $2, payload = $3, finished_at = now(), updated_at = now() WHERE id = $1`, [step.id, JSON.stringify(error), JSON.stringify(payload)]);
        await this.store.event(tx, step.id, 'task.failed', { error });
        step.status = 'failed';
        return this.end(tx, workflowId, 'failed', step);
      }
      const rows = await tx.query<{ priority: TaskPriority }>(
        `UPDATE tasks SET status = 'queued', payload = $2, queued_at = now(), updated_at = now() WHERE id = $1 AND status = 'waiting' RETURNING priority`,
        [step.id, JSON.stringify(parsed.data)],
      );
      if (!rows[0]) continue;
      await this.store.event(tx, step.id, 'task.queued');
      await this.store.addJobs(tx, [{ taskId: step.id, priority: rows[0].priority, agent: step.agent }]);
      notes.push(() => this.bus.publish({ type: 'task.queued', jobId: step.id, agent: step.agent, taskType: step.task_type, workflowId }));
    }
    return notes;
  }

  /** Ends a workflow because `cause` failed or was cancelled: steps not yet started are cancelled, running ones asked to stop. */
  private async end(tx: Queryable, workflowId: string, status: 'failed' | 'cancelled', cause: StepRow | TaskError, result?: unknown): Promise<Array<() => void>> {
    const error: TaskError =
      'step_key' in cause
        ? {
            code: status === 'failed' ? 'STEP_FAILED' : 'STEP_CANCELLED',
            message: `Step "${cause.step_key}" ${status === 'failed' ? 'failed' : 'was cancelled'}${cause.error?.message ? `: ${cause.error.message}` : ''}`,
            details: { step: cause.step_key, taskId: cause.id, ...(cause.error?.code ? { stepError: cause.error.code } : {}) },
          }
        : cause;
    await tx.query(`UPDATE workflows SET status = $2, error = $3, result = $4, finished_at = now(), updated_at = now() WHERE id = $1`, [
      workflowId,
      status,
      JSON.stringify(error),
      result === undefined ? null : JSON.stringify(result),
    ]);
    await this.store.event(tx, workflowId, `workflow.${status}`, { error });
    const stopped = await tx.query<{ id: string }>(
      `WITH c AS (
         UPDATE tasks SET status = 'cancelled', error = $2, finished_at = now(), updated_at = now()
         WHERE workflow_id = $1 AND status IN ('waiting', 'queued') RETURNING id
       ), e AS (INSERT INTO task_events (job_id, type, data) SELECT id, 'task.cancelled', jsonb_build_object('error', $2::jsonb) FROM c)
       SELECT id FROM c`,
      [workflowId, JSON.stringify({ code: 'WORKFLOW_ENDED', message: `Workflow ${status}` })],
    );
    const running = await tx.query<{ id: string }>(
      // SKIP LOCKED: a step whose own outcome is being written right now holds its row and is
      // waiting for this workflow's lock; waiting for it in turn would deadlock. It is ending anyway.
      // A step skipped here because something else holds its row briefly (a progress report) is
      // asked after commit by cancel(), and in any case by its worker's next heartbeat, which
      // treats a running step of an ended workflow as cancelled.
      `UPDATE tasks SET cancel_requested = true, updated_at = now()
       WHERE id IN (SELECT id FROM tasks WHERE workflow_id = $1 AND status = 'running' FOR UPDATE SKIP LOCKED) RETURNING id`,
      [workflowId],
    );
    await this.store.notifyCancel(tx, running.map((r) => r.id));
    return [
      () => this.bus.publish({ type: `workflow.${status}`, jobId: workflowId, workflowId, data: { error } }),
      ...stopped.map((s) => () => this.bus.publish({ type: 'task.cancelled', jobId: s.id, workflowId })),
    ];
  }

  async cancel(workflowId: string): Promise<void> {
    const notes = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ status: string }>('SELECT status FROM workflows WHERE id = $1 FOR UPDATE', [workflowId]);
      if (!rows[0]) throw new NotFoundError(`Workflow not found: ${workflowId}`, undefined, 'WORKFLOW_NOT_FOUND');
      if (rows[0].status !== 'running') throw new ConflictError(`Workflow ${workflowId} has already ended (${rows[0].status})`, { status: rows[0].status });
      return this.end(tx, workflowId, 'cancelled', { code: 'WORKFLOW_CANCELLED', message: 'Cancelled on request' });
    });
    for (const note of notes) note();
    // Steps end() skipped because their row was held at that moment: ask them now, outside the
    // workflow lock, waiting for the row (no deadlock: nothing here holds the workflow row).
    await this.db.transaction(async (tx) => {
      const missed = await tx.query<{ id: string }>(
        `UPDATE tasks SET cancel_requested = true, updated_at = now() WHERE workflow_id = $1 AND status = 'running' AND NOT cancel_requested RETURNING id`,
        [workflowId],
      );
      await this.store.notifyCancel(tx, missed.map((r) => r.id));
    });
  }
}
