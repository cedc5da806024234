import { EventEmitter } from 'node:events';
import type { Db } from '../../common/db';
import type { ApprovalContext } from '../../common/firewall-protocol';
import { AppError, ConflictError, ForbiddenError, InvalidError, NotFoundError, UnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { ApprovalStore, type Approval, type ApprovalStatus } from './approval-store';
import { checkCommand, type CommandRequest, type Verdict } from './command-validator';
import { CommandNotInstalledError, executeCommand, type ExecutionResult } from './command-executor';
import { compilePolicy, type ApprovalOverrides, type CompiledPolicy } from './compiled-policy';
import { PolicyError, readPolicyFile } from './firewall-policy';
import { SharedSlots, type SlotRelease } from './shared-slots';

/** The policy's largest maxConcurrentTotal: the slot pool never needs more connections (it opens them as used). */
const MAX_HELD_SLOTS = 256;

/** Where command attempts are recorded before and after they run (the audit log). */
export interface FirewallAuditSink {
  append(entry: { type: string; actor?: string; subject?: string; outcome?: string; details?: Record<string, unknown> }): Promise<unknown>;
}

export interface FirewallEvents {
  'approval.requested': [Approval];
  'approval.decided': [Approval];
}

/** What the firewall decided and how its commands ended, for the Prometheus metrics. */
export type FirewallCount = 'allowed' | 'denied' | 'held' | 'finished' | 'timed-out';
export interface FirewallCounters {
  count(event: FirewallCount, reason?: string): void;
}

export interface TerminalFirewallOptions {
  db: Db;
  audit: FirewallAuditSink;
  /** Counts each decision and ending as a metric too (every instance's, through the cluster metrics). */
  metrics?: FirewallCounters;
  logger: Logger;
  policyFile: string;
  /** Relative allowedDirectories resolve against it (the process's working directory by default). */
  baseDir: string;
  overrides: ApprovalOverrides;
  approvalTtlMs: number;
}

export type ExecOutcome = { status: 'finished'; rule: string; result: ExecutionResult } | { status: 'pending-approval'; approval: Approval };

export class CommandDeniedError extends AppError {
  constructor(verdict: Extract<Verdict, { ok: false }>) {
    super(403, 'COMMAND_DENIED', `Command refused by the terminal firewall: ${verdict.reason}`, { denial: verdict.code, rule: verdict.rule, argIndex: verdict.argIndex });
  }
}

/**
 * The terminal firewall (blueprint §2.4, §4.1): every command is checked against the policy,
 * held for approval where the policy says so, run by the executor within its rule's limits,
 * and recorded in the audit log before it starts and when it ends.
 */
export class TerminalFirewall extends EventEmitter<FirewallEvents> {
  readonly approvals: ApprovalStore;
  private policy: CompiledPolicy;
  private readonly running = new Map<string, number>();
  private runningTotal = 0;
  /** Runs in flight, so close() can stop them: they sit in process groups of their own and would outlive us. */
  private readonly inFlight = new Set<{ abort: AbortController; done: Promise<unknown> }>();
  private readonly counters = { allowed: 0, denied: 0, approvalsRequested: 0, finished: 0, timedOut: 0, denials: new Map<string, number>() };
  /** On a PostgreSQL server, the concurrency limits shared by every instance (see shared-slots.ts). */
  private readonly shared: SharedSlots | undefined;

  constructor(private readonly options: TerminalFirewallOptions) {
    super();
    this.approvals = new ApprovalStore(options.db);
    this.policy = this.load();
    this.shared = options.db.kind === 'postgres' ? new SharedSlots(options.db, MAX_HELD_SLOTS) : undefined;
  }

  get rules(): CompiledPolicy {
    return this.policy;
  }

  /** Re-reads the policy file; a bad file leaves the current policy in force and says why. */
  async reload(actor: string): Promise<{ rules: string[] }> {
    let next: CompiledPolicy;
    try {
      next = this.load();
    } catch (err) {
      if (err instanceof PolicyError) throw new InvalidError(err.message, { issues: [{ field: 'policy', message: err.message }] }, 'POLICY_INVALID');
      throw err;
    }
    this.policy = next;
    await this.options.audit.append({ type: 'firewall.policy-reloaded', actor, subject: this.options.policyFile, outcome: 'ok', details: { rules: [...next.rules.keys()] } });
    return { rules: [...next.rules.keys()] };
  }

  stats() {
    return {
      allowed: this.counters.allowed,
      denied: this.counters.denied,
      deniedBy: Object.fromEntries(this.counters.denials),
      approvalsRequested: this.counters.approvalsRequested,
      finished: this.counters.finished,
      timedOut: this.counters.timedOut,
      running: Object.fromEntries(this.running),
      runningTotal: this.runningTotal,
      maxConcurrentTotal: this.policy.maxConcurrentTotal,
    };
  }

  /**
   * Checks and runs a command, or holds it for approval. Refusals throw (403 COMMAND_DENIED),
   * after the audit entry is written. `via` names the service that asked on the actor's
   * behalf (ai-dawg for its devops module); it is recorded with the attempt.
   */
  /** `hold: false`: a command the policy holds is refused (409 APPROVAL_REQUIRED) rather than held: the caller needed it to run now. */
  async exec(request: CommandRequest, actor: string, signal?: AbortSignal, via?: string, options: { hold?: boolean; context?: ApprovalContext } = {}): Promise<ExecOutcome> {
    const origin = via ? { via } : {};
    const verdict = await checkCommand(this.policy, request);
    if (!verdict.ok) {
      this.counters.denied++;
      this.counters.denials.set(verdict.code, (this.counters.denials.get(verdict.code) ?? 0) + 1);
      this.options.metrics?.count('denied', verdict.code);
      await this.options.audit.append({ type: 'command.denied', actor, subject: request.command, outcome: verdict.code, details: { args: request.args, cwd: request.cwd, reason: verdict.reason, rule: verdict.rule, ...origin } });
      // Arguments stay in the audit log: a log line is a weaker place for what a caller typed.
      this.options.logger.warn('command denied', { actor, command: request.command, denial: verdict.code, rule: verdict.rule, ...origin });
      throw new CommandDeniedError(verdict);
    }
    if (verdict.limits.requireApproval && options.hold === false) {
      const reason = `${verdict.rule}${verdict.subcommand ? ` ${verdict.subcommand}` : ''} requires approval by the firewall policy, and the caller needed it to run at once`;
      this.counters.denied++;
      this.counters.denials.set('APPROVAL_REQUIRED', (this.counters.denials.get('APPROVAL_REQUIRED') ?? 0) + 1);
      this.options.metrics?.count('denied', 'APPROVAL_REQUIRED');
      await this.options.audit.append({ type: 'command.denied', actor, subject: verdict.command, outcome: 'APPROVAL_REQUIRED', details: { args: verdict.args, cwd: verdict.cwd, reason, ...origin } });
      throw new AppError(409, 'APPROVAL_REQUIRED', reason, { rule: verdict.rule, subcommand: verdict.subcommand });
    }
    if (verdict.limits.requireApproval) {
      const reason = `${verdict.rule}${verdict.subcommand ? ` ${verdict.subcommand}` : ''} requires approval by the firewall policy`;
      const approval = await this.approvals.create({ requestedBy: actor, command: verdict.command, args: verdict.args, cwd: verdict.cwd, env: verdict.env, rule: verdict.rule, subcommand: verdict.subcommand, reason, ...(options.context ? { context: options.context } : {}) }, this.options.approvalTtlMs);
      this.counters.approvalsRequested++;
      this.options.metrics?.count('held');
      await this.options.audit.append({ type: 'approval.requested', actor, subject: verdict.command, outcome: 'pending', details: { approvalId: approval.id, args: verdict.args, cwd: verdict.cwd, reason, ...origin } });
      this.options.logger.info('command held for approval', { actor, command: verdict.command, rule: verdict.rule, approvalId: approval.id, ...origin });
      this.emit('approval.requested', approval);
      return { status: 'pending-approval', approval };
    }
    return { status: 'finished', rule: verdict.rule, result: await this.run(verdict, actor, signal, undefined, via) };
  }

  /** An admin's decision. Approving runs the command in the background; the approval records its result. */
  async decide(id: string, decision: 'approve' | 'deny', actor: string, note?: string): Promise<Approval> {
    const outcome = await this.approvals.decide(id, decision === 'approve' ? 'approved' : 'denied', actor, note);
    if (!outcome.ok) {
      if (outcome.reason === 'not-found') throw new NotFoundError(`No approval ${id}`, undefined, 'APPROVAL_NOT_FOUND');
      if (outcome.reason === 'self') throw new ForbiddenError('The key that asked for a command cannot approve or deny it', { approvalId: id });
      throw new ConflictError(`Approval ${id} is ${outcome.reason === 'expired' ? 'expired' : outcome.approval!.status}: it can no longer be decided`, { status: outcome.reason === 'expired' ? 'expired' : outcome.approval!.status });
    }
    const approval = outcome.approval;
    await this.options.audit.append({ type: 'approval.decided', actor, subject: approval.command, outcome: approval.status, details: { approvalId: id, requestedBy: approval.requestedBy, note } });
    this.emit('approval.decided', approval);
    if (approval.status === 'approved') void this.runApproved(approval);
    return approval;
  }

  /**
   * The requester takes back a pending request (its caller gave up waiting); it ends denied
   * and never runs. Answers the approval as it now stands; only the key that asked may withdraw.
   */
  async withdraw(id: string, actor: string, reason: string): Promise<Approval> {
    const withdrawn = await this.approvals.withdraw(id, actor, `withdrawn by the requester: ${reason}`);
    if (!withdrawn) {
      const current = await this.approvals.get(id);
      if (!current) throw new NotFoundError(`No approval ${id}`, undefined, 'APPROVAL_NOT_FOUND');
      if (current.requestedBy !== actor) throw new ForbiddenError('Only the key that asked for a command can withdraw it', { approvalId: id });
      return current;
    }
    await this.options.audit.append({ type: 'approval.withdrawn', actor, subject: withdrawn.command, outcome: 'denied', details: { approvalId: id, reason } });
    this.emit('approval.decided', withdrawn);
    return withdrawn;
  }

  /** Expires pending approvals past their time (as denials); called periodically. */
  async expireDue(): Promise<number> {
    const expired = await this.approvals.expireDue();
    for (const approval of expired) {
      await this.options.audit.append({ type: 'approval.expired', actor: 'system', subject: approval.command, outcome: 'expired', details: { approvalId: approval.id, requestedBy: approval.requestedBy } });
      this.emit('approval.decided', approval);
    }
    return expired.length;
  }

  /** Stops every command still running (SIGTERM, then SIGKILL, to each group) and waits for them to end. */
  async close(): Promise<void> {
    const runs = [...this.inFlight];
    for (const run of runs) run.abort.abort(new Error('the control plane is shutting down'));
    await Promise.allSettled(runs.map((run) => run.done));
    await this.shared?.close();
  }

  async listApprovals(filter: { status?: ApprovalStatus; limit: number }): Promise<Approval[]> {
    return this.approvals.list(filter);
  }

  private async runApproved(approval: Approval): Promise<void> {
    try {
      // The policy may have changed since the request: what runs must pass the current one.
      const verdict = await checkCommand(this.policy, { command: approval.command, args: approval.args, cwd: approval.cwd, env: approval.env });
      if (!verdict.ok) {
        await this.options.audit.append({ type: 'command.denied', actor: approval.requestedBy, subject: approval.command, outcome: verdict.code, details: { approvalId: approval.id, reason: verdict.reason } });
        await this.approvals.setStatus(approval.id, 'failed', { error: { code: 'COMMAND_DENIED', message: verdict.reason } });
        return;
      }
      await this.approvals.setStatus(approval.id, 'running');
      const result = await this.run(verdict, approval.requestedBy, undefined, approval.id);
      await this.approvals.setStatus(approval.id, 'finished', result);
    } catch (err) {
      this.options.logger.error('approved command failed to run', { approvalId: approval.id, err });
      const error = err instanceof AppError ? { code: err.code, message: err.message } : { code: 'INTERNAL', message: 'the command could not be run' };
      await this.approvals.setStatus(approval.id, 'failed', { error }).catch(() => undefined);
    }
  }

  private async run(verdict: Extract<Verdict, { ok: true }>, actor: string, signal?: AbortSignal, approvalId?: string, via?: string): Promise<ExecutionResult> {
    const rule = this.policy.rules.get(verdict.rule)!;
    const running = this.running.get(verdict.rule) ?? 0;
    if (running >= verdict.limits.maxConcurrent || this.runningTotal >= this.policy.maxConcurrentTotal) {
      throw new AppError(429, 'FIREWALL_BUSY', `Too many commands running (${verdict.rule}: ${running} of ${verdict.limits.maxConcurrent}; all: ${this.runningTotal} of ${this.policy.maxConcurrentTotal}); try again shortly`, undefined, { retryAfterSeconds: 5 });
    }
    this.running.set(verdict.rule, running + 1);
    this.runningTotal++;
    let slot: SlotRelease | undefined;
    const details = { args: verdict.args, cwd: verdict.cwd, envNames: Object.keys(verdict.env), approvalId, ...(via ? { via } : {}) };
    try {
      if (this.shared) {
        slot = await this.shared.acquire(verdict.rule, verdict.limits.maxConcurrent, this.policy.maxConcurrentTotal);
        if (!slot) {
          throw new AppError(429, 'FIREWALL_BUSY', `Too many commands running on all control-plane instances together (${verdict.rule}: at most ${verdict.limits.maxConcurrent}; all: at most ${this.policy.maxConcurrentTotal}); try again shortly`, undefined, { retryAfterSeconds: 5 });
        }
      }
      this.counters.allowed++;
      this.options.metrics?.count('allowed');
      await this.options.audit.append({ type: 'command.allowed', actor, subject: verdict.command, outcome: 'started', details });
      let result: ExecutionResult;
      const abort = new AbortController();
      const onCallerAbort = () => abort.abort(signal?.reason);
      signal?.addEventListener('abort', onCallerAbort, { once: true });
      // The caller may have gone while the audit entry was written: a listener added to an
      // aborted signal never fires.
      if (signal?.aborted) onCallerAbort();
      const done = executeCommand({ command: verdict.command, args: verdict.args, cwd: verdict.cwd, env: verdict.env, timeoutMs: verdict.limits.maxExecutionTimeMs, maxOutputBytes: verdict.limits.maxOutputBytes, searchPath: this.policy.path, signal: abort.signal });
      const entry = { abort, done };
      this.inFlight.add(entry);
      try {
        result = await done;
      } catch (err) {
        if (err instanceof CommandNotInstalledError) throw new UnavailableError('COMMAND_NOT_INSTALLED', err.message, { command: verdict.command });
        throw err;
      } finally {
        this.inFlight.delete(entry);
        signal?.removeEventListener('abort', onCallerAbort);
      }
      this.counters.finished++;
      this.options.metrics?.count('finished');
      if (result.timedOut) {
        this.counters.timedOut++;
        this.options.metrics?.count('timed-out');
      }
      this.options.logger.info('command finished', { actor, command: verdict.command, rule: rule.name, exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs, approvalId, ...(via ? { via } : {}) });
      await this.options.audit.append({
        type: 'command.finished',
        actor,
        subject: verdict.command,
        outcome: result.timedOut ? 'timed-out' : result.exitCode === 0 ? 'ok' : 'failed',
        details: { ...details, exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs, outputSha256: result.outputSha256, truncated: result.truncated, rule: rule.name },
      });
      return result;
    } finally {
      await slot?.();
      this.running.set(verdict.rule, (this.running.get(verdict.rule) ?? 1) - 1);
      this.runningTotal--;
    }
  }

  private load(): CompiledPolicy {
    return compilePolicy(readPolicyFile(this.options.policyFile), this.options.baseDir, this.options.overrides);
  }
}
