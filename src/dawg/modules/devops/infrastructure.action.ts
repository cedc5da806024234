import { z } from 'zod';
import { ConflictError, UnavailableError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import type { CallerContext, CommandOutcome, ControlPlaneClient } from '../../control-plane/types';
import { defineAction } from '../../sdk';
import { callerOf } from './deploy/deploy-service.action';
import { CloudFormationRunner, type CloudFormationSettings } from './infrastructure-cloudformation';
import { approvalContext, finished, heldForApproval, parseJson, readNow } from './infrastructure-outcome';
import { heldPlanChanges, type PlannedChange } from './infrastructure-terraform-plan';
import { previewChanges, pulumiArgs, pulumiEnv, readPreview, type PulumiSettings } from './infrastructure-pulumi';
import { manageInfrastructureParams } from './infrastructure.schema';

export { manageInfrastructureParams };

type Params = z.output<typeof manageInfrastructureParams>;

export interface InfrastructureDeps {
  /** `latestApproval` finds the held plan run a held `show` cannot read (without it, such an apply lists no changes). */
  controlPlane: Pick<ControlPlaneClient, 'runCommand'> & Partial<Pick<ControlPlaneClient, 'latestApproval'>>;
  /** The Terraform configuration directory (DEVOPS_TERRAFORM_DIR); the firewall's terraform rule must allow it. */
  terraformDir: string | undefined;
  /** The Pulumi project (DEVOPS_PULUMI_DIR); undefined: provider pulumi answers 503 NOT_CONFIGURED. */
  pulumi?: PulumiSettings | undefined;
  /** The CloudFormation template (DEVOPS_CLOUDFORMATION_TEMPLATE or _TEMPLATE_URL); undefined: provider cloudformation answers 503 NOT_CONFIGURED. */
  cloudformation?: CloudFormationSettings | undefined;
  /** Between readings of a CloudFormation drift detection (2 s by default). */
  pollMs?: number;
}

/** The terraform command line for an action: non-interactive, no colour; state-changing ones carry -auto-approve because the firewall's approval is the prompt. */
export function terraformArgs(p: Params): string[] {
  const targets = (p.targetResources ?? []).map((r) => `-target=${r}`);
  const planFile = planFileOf(p);
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

function summarise(p: Params, outcome: CommandOutcome) {
  if (outcome.status === 'pending-approval') return heldForApproval(outcome);
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
    ...finished(r, ok),
    ...(p.action === 'plan' && ok ? { changesPresent: r.exitCode === 2, planFile: planFileOf(p) } : {}),
    ...(validation === undefined ? {} : { validation }),
    stdout: r.stdout,
  };
}

/** The plan file `plan` saves and an untargeted `apply` applies. */
const planFileOf = (p: Params) => `jarvis-${p.workspace ?? 'default'}.tfplan`;

/** The parts of `terraform show -json <plan>` read here (Terraform's JSON output format: resource_changes). */
const terraformPlanJson = z.object({
  resource_changes: z.array(z.object({ address: z.string(), type: z.string(), change: z.object({ actions: z.array(z.string()) }) })).optional(),
});

/**
 * What the saved plan changes (`terraform show -json`, read now; while the policy holds it,
 * as with TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM, the answer says why the list is missing).
 * A missing plan is a 409: plan first.
 */
async function savedPlanChanges(controlPlane: InfrastructureDeps['controlPlane'], base: { cwd: string; env?: Record<string, string> }, planFile: string, caller: CallerContext) {
  const read = await readNow(controlPlane, { command: 'terraform', args: ['show', '-no-color', '-json', planFile], ...base }, caller, 'terraform show');
  if ('unavailable' in read) return { changes: null, changesUnavailable: `${read.unavailable} (as TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true does for every terraform command)`, held: true as const };
  const r = read.result;
  if (r.exitCode !== 0) {
    if (/no such file|does not exist|couldn't load/i.test(r.stderr)) throw new ConflictError(`No saved plan ${planFile} to apply: run plan first`, { field: 'params.action', planFile });
    return { changes: null, changesUnavailable: `terraform show exited with code ${r.exitCode}` };
  }
  const plan = parseJson(r.stdout, terraformPlanJson);
  if (!plan) return { changes: null, changesUnavailable: r.truncated ? "the saved plan is larger than the firewall's output limit" : 'terraform show printed no plan JSON' };
  const changes = (plan.resource_changes ?? []).flatMap((c) => {
    const a = c.change.actions;
    const action = a.includes('create') && a.includes('delete') ? 'replace' : a[0];
    return !action || action === 'no-op' ? [] : [{ action, logicalId: c.address, type: c.type }];
  });
  return { changes };
}

/**
 * What applying the saved plan changes: read with `show` when the policy lets it run now, else
 * from the output of the newest held plan that saves this file (its approval, whoever asked for
 * it), else null and why.
 */
async function applyChanges(
  controlPlane: InfrastructureDeps['controlPlane'],
  base: { cwd: string; env?: Record<string, string> },
  planFile: string,
  caller: CallerContext,
): Promise<{ changes: PlannedChange[] | null; changesUnavailable?: string; changesFrom?: string }> {
  const shown = await savedPlanChanges(controlPlane, base, planFile, caller);
  if (!('held' in shown)) return shown;
  const { held: _held, ...answer } = shown;
  if (!controlPlane.latestApproval) return answer;
  const fromPlan = await heldPlanChanges({ latestApproval: controlPlane.latestApproval.bind(controlPlane) }, { cwd: base.cwd, planFile }, caller);
  return fromPlan.changes ? fromPlan : { changes: null, changesUnavailable: `${answer.changesUnavailable}; ${fromPlan.changesUnavailable}` };
}

/**
 * What `pulumi up` would change now: a preview, read now (a policy that holds it, or a preview
 * that fails, leaves the list out and says why). The program may change before the approval:
 * this is what it does at the time of asking.
 */
async function upChanges(controlPlane: InfrastructureDeps['controlPlane'], base: { cwd: string; env: Record<string, string> }, p: Params, caller: CallerContext) {
  const read = await readNow(controlPlane, { command: 'pulumi', args: pulumiArgs({ ...p, action: 'plan' }), ...base }, caller, 'pulumi preview');
  if ('unavailable' in read) return { changes: null, changesUnavailable: read.unavailable };
  const r = read.result;
  const preview = r.exitCode === 0 ? readPreview(r.stdout) : undefined;
  if (!preview) return { changes: null, changesUnavailable: `pulumi preview ${r.exitCode === 0 ? 'printed no PreviewDigest' : `exited with code ${r.exitCode}`}` };
  return { changes: preview.steps.map((s) => ({ action: s.op, logicalId: s.urn, type: s.urn.split('::')[2] ?? '' })) };
}

/** A pulumi outcome: a preview's PreviewDigest read (changes, diagnostics), never its resource inputs. */
function summarisePulumi(p: Params, outcome: CommandOutcome) {
  if (outcome.status === 'pending-approval') return heldForApproval(outcome);
  const r = outcome.result;
  const ok = r.exitCode === 0;
  const preview = p.action === 'plan' ? readPreview(r.stdout) : undefined;
  return { ...finished(r, ok), ...(preview ? { ...(ok ? { changesPresent: previewChanges(preview) } : {}), preview } : { stdout: r.stdout }) };
}

/**
 * `manage-infrastructure` (blueprint manageInfrastructure): Terraform, Pulumi and CloudFormation
 * operations through the control plane's firewall. plan (and validate, where the tool has one)
 * run at once; apply and destroy change real infrastructure and are always held for an admin's
 * approval (the firewall policy cannot be loaded otherwise), so they answer pending-approval
 * with the approval id; so is refresh, which writes Terraform's and Pulumi's state
 * (CloudFormation's refresh detects drift and changes nothing: it runs at once).
 */
export function createManageInfrastructureAction(deps: InfrastructureDeps) {
  const cloudformation = deps.cloudformation && new CloudFormationRunner(deps.controlPlane, deps.cloudformation, deps.pollMs);
  return defineAction({
    description: 'Terraform, Pulumi and CloudFormation: plan/validate (run at once) and apply/destroy/refresh (held for approval; CloudFormation drift detection runs at once) through the terminal firewall',
    params: manageInfrastructureParams,
    async handler(p, ctx) {
      if (p.autoApprove) throw fieldError('params.autoApprove', 'cannot skip approval: apply and destroy always wait for an admin, and so does refresh where it writes state (omit it or pass false)');
      const caller = callerOf(ctx);
      const summary = { action: p.action, provider: p.provider, workspace: p.workspace ?? (p.provider === 'pulumi' ? 'selected' : 'default') };
      if (p.provider === 'cloudformation') {
        if (!cloudformation) throw new UnavailableError('NOT_CONFIGURED', 'No CloudFormation template is set (DEVOPS_CLOUDFORMATION_TEMPLATE, or DEVOPS_CLOUDFORMATION_TEMPLATE_URL for one in S3)');
        return { ...summary, ...(await cloudformation.run(p, caller)) };
      }
      if (p.provider === 'pulumi') {
        if (p.action === 'validate') throw fieldError('params.action', 'pulumi has no validate command: plan runs pulumi preview, which checks the program and reports its errors');
        if (!deps.pulumi) throw new UnavailableError('NOT_CONFIGURED', 'No Pulumi project directory is set (DEVOPS_PULUMI_DIR)');
        const base = { cwd: deps.pulumi.dir, env: pulumiEnv(deps.pulumi) };
        // Before `up` is held: what it would change now (a preview, run at once), for whoever decides.
        const previewed = p.action === 'apply' ? await upChanges(deps.controlPlane, base, p, caller) : undefined;
        const outcome = await deps.controlPlane.runCommand({ command: 'pulumi', args: pulumiArgs(p), ...base, ...approvalContext(previewed?.changes) }, caller);
        return { ...summary, ...summarisePulumi(p, outcome), ...previewed };
      }
      if (!deps.terraformDir) throw new UnavailableError('NOT_CONFIGURED', 'No Terraform configuration directory is set (DEVOPS_TERRAFORM_DIR)');
      const base = { cwd: deps.terraformDir, ...(p.workspace ? { env: { TF_WORKSPACE: p.workspace } } : {}) };
      const planFile = planFileOf(p);
      // Applying the saved plan: what it changes goes with the approval request.
      const planned = p.action === 'apply' && !p.targetResources?.length ? await applyChanges(deps.controlPlane, base, planFile, caller) : undefined;
      const outcome = await deps.controlPlane.runCommand({ command: 'terraform', args: terraformArgs(p), ...base, ...approvalContext(planned?.changes, planned?.changesFrom) }, caller);
      return { ...summary, ...summarise(p, outcome), ...planned };
    },
  });
}
