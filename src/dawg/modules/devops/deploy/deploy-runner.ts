import { randomUUID } from 'node:crypto';
import { AppError } from '../../../../common/errors';
import type { ApprovalView, CallerContext, CommandResult, ControlPlaneClient } from '../../../control-plane/types';
import { abortableSleep, checkHealth, type HealthReport } from './health-check';
import { renderTemplate, type CommandTemplate, type DeployTarget, type PlanStep, type Strategy, type TemplateValues } from './targets';

export type DeploymentStatus = 'running' | 'succeeded' | 'rolled-back' | 'rollback-failed' | 'failed' | 'cancelled';

export interface StepRecord {
  name: string;
  kind: 'command' | 'health';
  ok: boolean;
  durationMs: number;
  command?: { command: string; args: string[] };
  exitCode?: number | null;
  timedOut?: boolean;
  outputSha256?: string;
  /** The last lines of output, for a failed step. */
  outputTail?: string;
  approvalId?: string;
  health?: HealthReport;
  error?: { code: string; message: string };
}

export interface DeploymentRecord {
  deploymentId: string;
  service: string;
  environment: string;
  strategy: Strategy;
  version: string;
  previousVersion: string | null;
  requestedBy: string;
  status: DeploymentStatus;
  success: boolean;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  steps: StepRecord[];
  rollback: { attempted: boolean; steps: StepRecord[]; reason?: string } | null;
  /** Why the deploy did not succeed. */
  reason?: string;
}

export interface DeployRunnerDeps {
  controlPlane: Pick<ControlPlaneClient, 'runCommand' | 'approval' | 'withdrawApproval'>;
  /** Between reads of a held command's approval. */
  approvalPollMs: number;
  /** Longest wait for a person to decide a held step. */
  approvalWaitMs: number;
  /** Time a rollback gets after the deploy was cancelled mid-way (its caller's signal is gone). */
  rollbackAfterCancelMs: number;
}

type Values = TemplateValues;

const FINAL_APPROVAL = new Set<ApprovalView['status']>(['finished', 'failed', 'denied', 'expired']);
const { round } = Math;
const tail = (text: string, lines = 20) => text.split('\n').slice(-lines).join('\n').slice(-4_000);

/**
 * Runs one deploy: the strategy's steps in order, each command through the control plane's
 * firewall (waiting for a person where the policy holds it), health checks where the plan
 * puts them and always at the end; on any failure, the rollback steps, then a health check
 * of the restored version. Nothing here spawns a process.
 */
export class DeployRunner {
  constructor(private readonly deps: DeployRunnerDeps) {}

  newRecord(input: { target: DeployTarget; strategy: Strategy; version: string; previousVersion: string | undefined; requestedBy: string }): DeploymentRecord {
    return {
      deploymentId: `dep_${randomUUID()}`,
      service: input.target.service,
      environment: input.target.environment,
      strategy: input.strategy,
      version: input.version,
      previousVersion: input.previousVersion ?? null,
      requestedBy: input.requestedBy,
      status: 'running',
      success: false,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      durationMs: null,
      steps: [],
      rollback: null,
    };
  }

  async run(record: DeploymentRecord, target: DeployTarget, healthUrl: string, caller: CallerContext): Promise<DeploymentRecord> {
    const started = performance.now();
    const plan = target.strategies[record.strategy]!;
    const values: Values = { version: record.version, previousVersion: record.previousVersion ?? undefined, service: target.service, environment: target.environment };
    try {
      const failure = await this.runSteps([...plan.steps, { name: 'final health check', check: 'health' }], target, values, healthUrl, record.version, caller, record.steps);
      if (!failure) {
        record.status = 'succeeded';
        record.success = true;
      } else {
        record.reason = failure;
        await this.rollBack(record, target, plan.rollback, healthUrl, caller);
      }
    } catch (err) {
      if (!caller.signal.aborted) throw err;
      // The caller went away (cancelled, or its own timeout) mid-deploy: the target may be
      // between versions, so it is still put back, on a clock of its own.
      record.reason = `cancelled during the deploy (${(caller.signal.reason as Error | undefined)?.message ?? 'aborted'})`;
      const detached = { ...caller, signal: AbortSignal.timeout(this.deps.rollbackAfterCancelMs) };
      await this.rollBack(record, target, plan.rollback, healthUrl, detached).catch((rollbackErr: unknown) => {
        record.status = 'rollback-failed';
        record.rollback = { attempted: true, steps: record.rollback?.steps ?? [], reason: (rollbackErr as Error).message };
      });
      if (record.status === 'failed') record.status = 'cancelled';
    }
    record.finishedAt = new Date().toISOString();
    record.durationMs = round(performance.now() - started);
    return record;
  }

  private async rollBack(record: DeploymentRecord, target: DeployTarget, rollbackSteps: PlanStep[] | undefined, healthUrl: string, caller: CallerContext): Promise<void> {
    const previous = record.previousVersion ?? undefined;
    if (!previous && !rollbackSteps) {
      record.status = 'failed';
      record.rollback = { attempted: false, steps: [], reason: 'no earlier successful deploy of this target to return to' };
      return;
    }
    const plan = target.strategies[record.strategy]!;
    // Default rollback: the same steps, deploying the previous version.
    const steps = rollbackSteps ?? plan.steps;
    const values: Values = { version: previous ?? record.version, previousVersion: previous, service: target.service, environment: target.environment };
    record.rollback = { attempted: true, steps: [] };
    const failure = await this.runSteps([...steps, { name: 'health check after rollback', check: 'health' }], target, values, healthUrl, previous, caller, record.rollback.steps);
    if (failure) {
      record.status = 'rollback-failed';
      record.rollback.reason = failure;
    } else {
      record.status = 'rolled-back';
    }
  }

  /** Runs steps until one fails; returns why it failed, or undefined when all passed. */
  private async runSteps(steps: PlanStep[], target: DeployTarget, values: Values, healthUrl: string, expectedVersion: string | undefined, caller: CallerContext, out: StepRecord[]): Promise<string | undefined> {
    for (const step of steps) {
      caller.signal.throwIfAborted();
      const started = performance.now();
      const interrupted = (err: unknown, extra: Partial<StepRecord>) => {
        // The step that was running when the deploy was cancelled is part of the record.
        if (caller.signal.aborted) out.push({ name: step.name, kind: 'check' in step ? 'health' : 'command', ok: false, durationMs: round(performance.now() - started), error: { code: 'CANCELLED', message: 'cancelled while this step ran (a running command is stopped by the firewall)' }, ...extra });
        throw err;
      };
      if ('check' in step) {
        const health = await checkHealth(target.healthCheck, step.url ?? healthUrl, expectedVersion, caller.signal).catch((err: unknown) => interrupted(err, {}));
        out.push({ name: step.name, kind: 'health', ok: health.healthy, durationMs: round(performance.now() - started), health });
        if (!health.healthy) return `${step.name}: ${health.reason}`;
        continue;
      }
      const command = renderTemplate(step.run, values);
      const record = await this.runCommand(step.name, command, caller).catch((err: unknown) => interrupted(err, { command: { command: command.command, args: command.args } }));
      record.durationMs = round(performance.now() - started);
      out.push(record);
      if (!record.ok) return `${step.name}: ${record.error?.message ?? (record.timedOut ? 'timed out' : `exited with code ${record.exitCode}`)}`;
    }
    return undefined;
  }

  private async runCommand(name: string, tpl: CommandTemplate, caller: CallerContext): Promise<StepRecord> {
    const base: StepRecord = { name, kind: 'command', ok: false, durationMs: 0, command: { command: tpl.command, args: tpl.args } };
    let result: CommandResult;
    try {
      const outcome = await this.deps.controlPlane.runCommand(tpl, caller);
      if (outcome.status === 'finished') {
        result = outcome.result;
      } else {
        base.approvalId = outcome.approval.id;
        const decided = await this.awaitApproval(outcome.approval.id, caller);
        if (decided.status !== 'finished') {
          const why = decided.status === 'failed' ? `could not run after approval: ${JSON.stringify((decided.result as { error?: unknown } | null)?.error ?? null)}` : `approval ${decided.status}${decided.decisionNote ? ` (${decided.decisionNote})` : ''}`;
          return { ...base, error: { code: `APPROVAL_${decided.status.toUpperCase()}`, message: why } };
        }
        result = decided.result as CommandResult;
      }
    } catch (err) {
      if (caller.signal.aborted) throw err;
      if (!(err instanceof AppError)) throw err;
      return { ...base, error: { code: err.code, message: err.message } };
    }
    const ok = result.exitCode === 0 && !result.timedOut;
    return {
      ...base,
      ok,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      outputSha256: result.outputSha256,
      ...(ok ? {} : { outputTail: tail(`${result.stdout}\n${result.stderr}`.trim()) }),
    };
  }

  /**
   * Waits for a person to decide a held step and for the approved command to finish. A wait
   * that ends first (the deploy is cancelled or waited too long) withdraws the request, so a
   * late approval cannot run a step of a deploy that has moved on.
   */
  private async awaitApproval(id: string, caller: CallerContext): Promise<ApprovalView> {
    const deadline = Date.now() + this.deps.approvalWaitMs;
    try {
      for (;;) {
        const approval = await this.deps.controlPlane.approval(id, caller);
        if (FINAL_APPROVAL.has(approval.status)) return approval;
        if (approval.status === 'pending' && Date.now() >= deadline) {
          const now = await this.deps.controlPlane.withdrawApproval(id, `no decision within ${this.deps.approvalWaitMs} ms`, caller);
          // Approved just before we withdrew: it runs, and we wait for it like any other.
          if (now.status === 'denied') return now;
        }
        await abortableSleep(this.deps.approvalPollMs, caller.signal);
      }
    } catch (err) {
      if (caller.signal.aborted) {
        const quiet = { ...caller, signal: AbortSignal.timeout(5_000) };
        await this.deps.controlPlane.withdrawApproval(id, 'the deploy was cancelled', quiet).catch(() => undefined);
      }
      throw err;
    }
  }
}
