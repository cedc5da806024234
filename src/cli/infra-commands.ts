import { z } from 'zod';
import { manageInfrastructureParams } from '../dawg/action-schemas';
import type { Connection, Values } from './args-common';
import type { JarvisClient, TaskView } from './client';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError } from './errors';
import { jsonText, printable } from './format';
import { formatTaskError } from './format-tasks';
import { createTaskProgress, type ProgressStream } from './task-progress';
import { waitForTask } from './task-wait';

/*
 * `jarvis infra plan|apply|destroy|validate|refresh --provider P [--workspace W] [--target T]...`:
 * the DevOpsEngineer's manage-infrastructure (Terraform, Pulumi or CloudFormation through the
 * firewall) queued as a task, followed to its end, and its answer printed for a person: the
 * changes a plan found, or the approval an apply waits for.
 */

export const INFRA_ACTIONS = ['plan', 'apply', 'destroy', 'validate', 'refresh'] as const;

export interface InfraCommand {
  kind: 'infra';
  connection: Connection;
  json: boolean;
  payload: z.output<typeof manageInfrastructureParams>;
}

export function parseInfra(action: string, rest: string[], values: Values, connection: () => Connection, topic: string): InfraCommand {
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}" (options go with --provider, --workspace, --target)`, topic);
  if (values.provider === undefined) throw new UsageError('--provider is required: terraform, pulumi or cloudformation', topic);
  const parsed = manageInfrastructureParams.safeParse({
    action,
    provider: values.provider,
    ...(values.workspace === undefined ? {} : { workspace: values.workspace }),
    ...(values.target === undefined ? {} : { targetResources: values.target }),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    const option = field === 'targetResources' ? '--target' : `--${field}`;
    throw new UsageError(`${option}: ${issue.message}${field === 'provider' ? ' (terraform, pulumi or cloudformation)' : ''}`, topic);
  }
  return { kind: 'infra', connection: connection(), json: values.json ?? false, payload: parsed.data };
}

export interface InfraIo {
  out: (text: string) => void;
  err: (text: string) => void;
  progressStream?: ProgressStream;
  onInterrupt?: (handler: () => void) => () => void;
  pollMs?: number;
}

const AGENT = 'DevOpsEngineer';
const TASK_TYPE = 'manage-infrastructure';

export async function runInfraCommand(command: InfraCommand, client: JarvisClient, io: InfraIo): Promise<number> {
  const created = await client.submitTask(AGENT, { taskType: TASK_TYPE, payload: command.payload });
  io.err(`Task ${created.taskId} queued for ${AGENT} (${TASK_TYPE} ${command.payload.action}); job: ${client.absolute(created.jobUrl)}`);
  const interrupt = new AbortController();
  const unsubscribe = io.onInterrupt?.(() => interrupt.abort()) ?? (() => {});
  const progress = createTaskProgress(io.progressStream, io.err, `${command.payload.provider} ${command.payload.action}`);
  let outcome: Awaited<ReturnType<typeof waitForTask>>;
  try {
    outcome = await waitForTask(client, AGENT, created.taskId, progress, interrupt.signal, { pollMs: io.pollMs });
  } finally {
    progress.stop();
    unsubscribe();
  }
  if (outcome.kind === 'interrupted') {
    io.err(`Interrupted: stopped waiting. Task ${created.taskId} was not cancelled and goes on.\nFollow it again: jarvis task get ${created.taskId} --wait`);
    return EXIT_INTERRUPTED;
  }
  return report(outcome.task, command.json, io);
}

function report(task: TaskView, json: boolean, io: InfraIo): number {
  if (task.status !== 'completed') {
    if (json) io.out(jsonText(task));
    io.err(`jarvis: ${formatTaskError(task)}`);
    return EXIT_FAILURE;
  }
  const result = infraResult.safeParse(task.result);
  if (json || !result.success) {
    io.out(jsonText(task.result ?? null));
    return result.success && result.data.status === 'finished' && !result.data.ok ? EXIT_FAILURE : EXIT_OK;
  }
  io.out(formatInfraResult(result.data));
  return result.data.status === 'finished' && !result.data.ok ? EXIT_FAILURE : EXIT_OK;
}

/** What manage-infrastructure answers, as far as it is printed here (docs/API.md, "manage-infrastructure"). */
const infraResult = z
  .object({
    action: z.string(),
    provider: z.string(),
    workspace: z.string(),
    status: z.enum(['finished', 'pending-approval']),
    ok: z.boolean().optional(),
    exitCode: z.number().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    error: z.string().optional(),
    failedStep: z.string().optional(),
    changesPresent: z.boolean().optional(),
    planFile: z.string().optional(),
    approvalId: z.string().optional(),
    expiresAt: z.string().optional(),
    command: z.object({ command: z.string(), args: z.array(z.string()) }).optional(),
    validation: z.object({ valid: z.boolean(), error: z.string().optional(), errorCount: z.number().nullable().optional() }).loose().optional(),
    changes: z.array(z.object({ action: z.string(), logicalId: z.string(), type: z.string(), replacement: z.string().optional() })).nullable().optional(),
    changesUnavailable: z.string().optional(),
    changesFrom: z.string().optional(),
    preview: z.object({ changeSummary: z.record(z.string(), z.number()), steps: z.array(z.object({ op: z.string(), urn: z.string() })), diagnostics: z.array(z.object({ severity: z.string(), message: z.string() })) }).optional(),
    drift: z
      .object({ stackDriftStatus: z.string(), driftedResources: z.number(), resources: z.array(z.object({ logicalId: z.string(), type: z.string(), status: z.string(), differences: z.array(z.object({ path: z.string(), type: z.string() })) })) })
      .optional(),
  })
  .loose();
type InfraResult = z.infer<typeof infraResult>;

const tail = (text: string, lines = 20) => text.trimEnd().split('\n').slice(-lines).map((l) => `  ${printable(l)}`).join('\n');

export function formatInfraResult(r: InfraResult): string {
  const what = `${r.provider} ${r.action} (${r.workspace})`;
  if (r.status === 'pending-approval') {
    return [
      `${what}: held for approval ${r.approvalId} (until ${r.expiresAt}).`,
      ...(r.command ? [`  command: ${printable([r.command.command, ...r.command.args].join(' '))}`] : []),
      ...(r.changes?.length ? [`  changes it applies${r.changesFrom ? ` (from ${printable(r.changesFrom)})` : ''}:`, ...r.changes.map((c) => `    ${c.action.padEnd(7)} ${printable(c.logicalId)} (${printable(c.type)})`)] : []),
      ...(r.changesUnavailable ? [`  changes it applies: not listed (${printable(r.changesUnavailable)})`] : []),
      `Another admin decides: jarvis approvals approve ${r.approvalId} (or deny it with --reason); the result is stored on the approval: jarvis approvals get ${r.approvalId}`,
    ].join('\n');
  }
  if (!r.ok) {
    const why = r.error ?? r.validation?.error ?? (r.failedStep ? `${r.failedStep} failed` : `exit code ${r.exitCode ?? '?'}`);
    const output = r.stderr?.trim() || r.stdout?.trim();
    return [`${what} failed: ${printable(why)}`, ...(output ? [tail(output)] : [])].join('\n');
  }
  const lines = [`${what}: ${summaryOf(r)}`];
  for (const c of r.changes ?? []) lines.push(`  ${c.action.padEnd(7)} ${printable(c.logicalId)} (${printable(c.type)})${c.replacement === 'True' ? ', replaced' : ''}`);
  for (const s of r.preview?.steps ?? []) lines.push(`  ${s.op.padEnd(8)} ${printable(s.urn)}`);
  for (const d of r.preview?.diagnostics ?? []) lines.push(`  ${d.severity}: ${printable(d.message)}`);
  for (const res of r.drift?.resources ?? []) lines.push(`  ${res.status.padEnd(8)} ${printable(res.logicalId)} (${printable(res.type)})${res.differences.map((d) => `\n      ${d.type} ${printable(d.path)}`).join('')}`);
  if (r.provider === 'terraform' && r.stdout?.trim()) lines.push(tail(r.stdout));
  if (r.action === 'plan' && r.changesPresent) lines.push(`Apply it: jarvis infra apply --provider ${r.provider}${r.workspace === 'default' || r.workspace === 'selected' ? '' : ` --workspace ${r.workspace}`} (held for an admin's approval)`);
  return lines.join('\n');
}

function summaryOf(r: InfraResult): string {
  if (r.validation) return r.validation.valid ? 'valid' : 'not valid';
  if (r.drift) return `${r.drift.stackDriftStatus}, ${r.drift.driftedResources} resource(s) drifted`;
  if (r.action === 'plan') {
    if (!r.changesPresent) return 'no changes';
    const counts = r.preview ? Object.entries(r.preview.changeSummary).filter(([op, n]) => op !== 'same' && n > 0).map(([op, n]) => `${n} to ${op}`) : [];
    return `changes${counts.length ? ` (${counts.join(', ')})` : ''}${r.planFile ? `, plan saved as ${r.planFile}` : ''}`;
  }
  return 'done';
}
