import { z } from 'zod';
import { NotImplementedError, UnavailableError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import type { CommandOutcome, ControlPlaneClient } from '../../control-plane/types';
import { defineAction } from '../../sdk';
import { callerOf } from './deploy/deploy-service.action';
import { previewChanges, pulumiArgs, pulumiEnv, readPreview, type PulumiSettings } from './infrastructure-pulumi';
import { manageInfrastructureParams } from './infrastructure.schema';

export { manageInfrastructureParams };

type Params = z.output<typeof manageInfrastructureParams>;

export interface InfrastructureDeps {
  controlPlane: Pick<ControlPlaneClient, 'runCommand'>;
  /** The Terraform configuration directory (DEVOPS_TERRAFORM_DIR); the firewall's terraform rule must allow it. */
  terraformDir: string | undefined;
  /** The Pulumi project (DEVOPS_PULUMI_DIR); undefined: provider pulumi answers 503 NOT_CONFIGURED. */
  pulumi?: PulumiSettings | undefined;
}

/** The terraform command line for an action: non-interactive, no colour; state-changing ones carry -auto-approve because the firewall's approval is the prompt. */
export function terraformArgs(p: Params): string[] {
  const targets = (p.targetResources ?? []).map((r) => `-target=${r}`);
  const planFile = `jarvis-${p.workspace ?? 'default'}.tfplan`;
  switch (p.action) {
    case 'validate':
      return ['validate', '-no-color', '-json'];
    case 'plan':
      return ['plan', '-input=false', '-no-color', '-detailed-exitcode', `-out=${planFile}`, ...targets];
    case 'apply':
      // Untargeted: exactly the plan that `plan` saved (and a person reviewed); targeted: a fresh targeted apply.
      return targets.length ? ['apply', '-input=false', '-no-color', '-auto-approve', ...targets] : ['apply', '-input=false', '-no-color', '-auto-approve', planFile];
    case 'destroy':
      return ['destroy', '-input=false', '-no-color', '-auto-approve', ...targets];
    case 'refresh':
      return ['apply', '-refresh-only', '-input=false', '-no-color', '-auto-approve', ...targets];
  }
}

/** A command the firewall holds for an admin: where to decide it. */
function held(a: Extract<CommandOutcome, { status: 'pending-approval' }>['approval']) {
  return {
    status: 'pending-approval' as const,
    approvalId: a.id,
    expiresAt: a.expiresAt,
    command: { command: a.command, args: a.args, cwd: a.cwd },
    next: `An admin decides at POST /api/v1/approvals/${a.id}/approve (or /deny); the result is stored on the approval (GET /api/v1/approvals/${a.id})`,
  };
}

function summarise(p: Params, outcome: CommandOutcome) {
  if (outcome.status === 'pending-approval') return held(outcome.approval);
  const r = outcome.result;
  // plan -detailed-exitcode: 0 no changes, 2 changes present, 1 error.
  const ok = r.exitCode === 0 || (p.action === 'plan' && r.exitCode === 2);
  let validation: unknown;
  if (p.action === 'validate') {
    try {
      const v = JSON.parse(r.stdout) as { valid?: boolean; error_count?: number; warning_count?: number; diagnostics?: unknown[] };
      validation = { valid: v.valid === true, errorCount: v.error_count ?? null, warningCount: v.warning_count ?? null, diagnostics: v.diagnostics ?? [] };
    } catch {
      validation = { valid: false, error: 'terraform validate did not print JSON' };
    }
  }
  return {
    status: 'finished' as const,
    ok,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    ...(p.action === 'plan' && ok ? { changesPresent: r.exitCode === 2, planFile: `jarvis-${p.workspace ?? 'default'}.tfplan` } : {}),
    ...(validation === undefined ? {} : { validation }),
    stdout: r.stdout,
    stderr: r.stderr,
    truncated: r.truncated,
    durationMs: r.durationMs,
    outputSha256: r.outputSha256,
  };
}

/** A pulumi outcome: a preview's PreviewDigest read (changes, diagnostics), never its resource inputs. */
function summarisePulumi(p: Params, outcome: CommandOutcome) {
  if (outcome.status === 'pending-approval') return held(outcome.approval);
  const r = outcome.result;
  const ok = r.exitCode === 0;
  const preview = p.action === 'plan' ? readPreview(r.stdout) : undefined;
  return {
    status: 'finished' as const,
    ok,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    ...(preview ? { ...(ok ? { changesPresent: previewChanges(preview) } : {}), preview } : { stdout: r.stdout }),
    stderr: r.stderr,
    truncated: r.truncated,
    durationMs: r.durationMs,
    outputSha256: r.outputSha256,
  };
}

/**
 * `manage-infrastructure` (blueprint manageInfrastructure): Terraform and Pulumi operations
 * through the control plane's firewall. plan (and Terraform's validate) run at once; apply,
 * destroy and refresh change real infrastructure (or its state) and are always held for an
 * admin's approval (the firewall policy cannot be loaded otherwise), so they answer
 * pending-approval with the approval id. CloudFormation answers 501.
 */
export function createManageInfrastructureAction(deps: InfrastructureDeps) {
  return defineAction({
    description: 'Terraform and Pulumi: plan/validate (run at once) and apply/destroy/refresh (held for approval) through the terminal firewall',
    params: manageInfrastructureParams,
    async handler(p, ctx) {
      if (p.provider === 'cloudformation') throw new NotImplementedError('Provider cloudformation is not supported yet; use terraform or pulumi', { field: 'params.provider', supported: ['terraform', 'pulumi'] });
      if (p.autoApprove) throw fieldError('params.autoApprove', 'cannot skip approval: apply, destroy and refresh always wait for an admin (omit it or pass false)');
      const caller = callerOf(ctx);
      const summary = { action: p.action, provider: p.provider, workspace: p.workspace ?? (p.provider === 'pulumi' ? 'selected' : 'default') };
      if (p.provider === 'pulumi') {
        if (p.action === 'validate') throw fieldError('params.action', 'pulumi has no validate command: plan runs pulumi preview, which checks the program and reports its errors');
        if (!deps.pulumi) throw new UnavailableError('NOT_CONFIGURED', 'No Pulumi project directory is set (DEVOPS_PULUMI_DIR)');
        const outcome = await deps.controlPlane.runCommand({ command: 'pulumi', args: pulumiArgs(p), cwd: deps.pulumi.dir, env: pulumiEnv(deps.pulumi) }, caller);
        return { ...summary, ...summarisePulumi(p, outcome) };
      }
      if (!deps.terraformDir) throw new UnavailableError('NOT_CONFIGURED', 'No Terraform configuration directory is set (DEVOPS_TERRAFORM_DIR)');
      const outcome = await deps.controlPlane.runCommand(
        { command: 'terraform', args: terraformArgs(p), cwd: deps.terraformDir, ...(p.workspace ? { env: { TF_WORKSPACE: p.workspace } } : {}) },
        caller,
      );
      return { ...summary, ...summarise(p, outcome) };
    },
  });
}
