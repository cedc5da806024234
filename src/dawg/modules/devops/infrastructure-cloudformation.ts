import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { AppError, ConflictError } from '../../../common/errors';
import type { CallerContext, CommandOutcome, CommandResult, ControlPlaneClient } from '../../control-plane/types';
import { approvalContext, finished, heldForApproval, parseJson } from './infrastructure-outcome';
import type { manageInfrastructureParams } from './infrastructure.schema';

type Params = z.output<typeof manageInfrastructureParams>;

/** The capabilities a change set may acknowledge (CloudFormation's CAPABILITY_* values). */
export const CLOUDFORMATION_CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

/**
 * An S3 object's https URL, as CloudFormation takes a template from S3 (`--template-url`):
 * virtual-hosted or path style, any region, no query (a pre-signed URL's `&` is refused by the
 * firewall). The shipped policy's pattern for `--template-url` admits exactly these.
 */
export const S3_TEMPLATE_URL = /^https:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\.)?s3([.-][a-z0-9-]+)?\.amazonaws\.com(\.cn)?\/[A-Za-z0-9_.\/-]{1,900}$/;

/** Where the template is: exactly one of a file and an S3 URL. */
export type CloudFormationTemplate =
  | {
      /** Absolute path of the template (DEVOPS_CLOUDFORMATION_TEMPLATE), at most 51,200 bytes; the aws CLI runs in its directory, which the firewall's aws rule must allow. */
      template: string;
      templateUrl?: undefined;
    }
  | {
      /** The template as an S3 object (DEVOPS_CLOUDFORMATION_TEMPLATE_URL), for templates up to 1 MB; the aws CLI runs in the parameters file's directory, or the aws rule's first allowed one. */
      templateUrl: string;
      template?: undefined;
    };

/** The stack's template, and what every change set of it is made with. */
export type CloudFormationSettings = CloudFormationTemplate & {
  /** Absolute path of a parameters file (DEVOPS_CLOUDFORMATION_PARAMETERS), in the template file's directory when there is one. */
  parameters?: string;
  /** Acknowledged when a change set is made (DEVOPS_CLOUDFORMATION_CAPABILITIES). */
  capabilities?: readonly (typeof CLOUDFORMATION_CAPABILITIES)[number][];
  /** AWS_REGION for every command (DEVOPS_CLOUDFORMATION_REGION); absent: the CLI's own configuration. */
  region?: string;
};

/** The one change set `plan` makes per stack and `apply` executes (by its ARN, so a newer plan is never applied unreviewed). */
export const CHANGE_SET_NAME = 'jarvis-plan';

/** The parts of DescribeChangeSet's answer read here. */
const changeSetSchema = z.object({
  ChangeSetId: z.string(),
  Status: z.string(),
  StatusReason: z.string().optional(),
  ExecutionStatus: z.string().optional(),
  Changes: z
    .array(
      z.object({
        Type: z.string().optional(),
        ResourceChange: z
          .object({
            Action: z.string(),
            LogicalResourceId: z.string(),
            PhysicalResourceId: z.string().optional(),
            ResourceType: z.string(),
            Replacement: z.string().optional(),
            Scope: z.array(z.string()).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
});
type ChangeSet = z.infer<typeof changeSetSchema>;

/** ListStackResources' answer (the CLI follows its pages). */
const stackResourcesSchema = z.object({ StackResourceSummaries: z.array(z.object({ LogicalResourceId: z.string(), ResourceType: z.string(), ResourceStatus: z.string().optional() })) });
const stacksSchema = z.object({ Stacks: z.array(z.object({ StackName: z.string(), StackStatus: z.string() })) });
const driftStartSchema = z.object({ StackDriftDetectionId: z.string() });
const driftStatusSchema = z.object({
  DetectionStatus: z.string(),
  DetectionStatusReason: z.string().optional(),
  StackDriftStatus: z.string().optional(),
  DriftedStackResourceCount: z.number().optional(),
});
const resourceDriftsSchema = z.object({
  StackResourceDrifts: z.array(
    z.object({
      LogicalResourceId: z.string(),
      PhysicalResourceId: z.string().optional(),
      ResourceType: z.string(),
      StackResourceDriftStatus: z.string(),
      PropertyDifferences: z.array(z.object({ PropertyPath: z.string(), ExpectedValue: z.string().optional(), ActualValue: z.string().optional(), DifferenceType: z.string() })).optional(),
    }),
  ),
});

/** CloudFormation's answer when a change set would change nothing (its status is then FAILED). */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/** A step of an operation that did not succeed: which, and what the CLI said. */
class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly result: CommandResult,
  ) {
    super(`aws cloudformation ${step} ${result.timedOut ? 'timed out' : `exited with code ${result.exitCode}`}`);
  }
}

/**
 * CloudFormation through the aws CLI, one firewall command per step (each audited):
 * validate is validate-template; plan makes the change set `jarvis-plan` (CREATE or UPDATE,
 * after deleting the previous one) and reads its changes; apply executes that change set by its
 * ARN, held for approval; destroy is delete-stack, held; refresh detects drift and reads it
 * (it changes neither resources nor the template, so it runs at once).
 */
export class CloudFormationRunner {
  private readonly cwd: string | undefined;
  /** How each command that reads the template names it. */
  private readonly templateArgs: readonly string[];

  constructor(
    private readonly controlPlane: Pick<ControlPlaneClient, 'runCommand'>,
    private readonly settings: CloudFormationSettings,
    /** Between readings of a drift detection's status. */
    private readonly pollMs = 2_000,
  ) {
    if (settings.template !== undefined) {
      this.cwd = path.dirname(settings.template);
      this.templateArgs = ['--template-body', `file://${path.basename(settings.template)}`];
    } else {
      this.cwd = settings.parameters === undefined ? undefined : path.dirname(settings.parameters);
      this.templateArgs = ['--template-url', settings.templateUrl];
    }
  }

  async run(p: Params, caller: CallerContext) {
    const stack = p.workspace!;
    switch (p.action) {
      case 'validate':
        return this.guard(() => this.validate(caller));
      case 'plan':
        return this.guard(() => this.plan(stack, caller));
      case 'apply':
        return this.guard(() => this.apply(stack, caller));
      case 'destroy':
        return this.guard(() => this.destroy(stack, caller));
      case 'refresh':
        return this.guard(() => this.refresh(stack, caller));
    }
  }

  private async validate(caller: CallerContext) {
    // A template CloudFormation refuses is an answer (valid: false), not a failed operation.
    const r = this.result(await this.command(['validate-template', ...this.templateArgs, '--output', 'json'], caller), 'validate-template');
    if (r.timedOut) throw new StepFailed('validate-template', r);
    const answer = r.exitCode === 0 ? parseJson(r.stdout, z.object({ Description: z.string().optional(), Parameters: z.array(z.object({ ParameterKey: z.string() }).loose()).optional(), Capabilities: z.array(z.string()).optional(), CapabilitiesReason: z.string().optional() })) : undefined;
    const validation = answer
      ? { valid: true, description: answer.Description ?? null, parameters: (answer.Parameters ?? []).map((x) => x.ParameterKey), capabilities: answer.Capabilities ?? [], capabilitiesReason: answer.CapabilitiesReason ?? null }
      : { valid: false, error: lastLine(r.stderr) || 'aws cloudformation validate-template printed no answer' };
    return { ...finished(r, r.exitCode === 0 && answer !== undefined), validation };
  }

  private async plan(stack: string, caller: CallerContext) {
    const described = await this.command(['describe-stacks', '--stack-name', stack, '--output', 'json'], caller);
    const existing = this.ran(described, 'describe-stacks', /does not exist/i);
    const status = existing && parseJson(existing.stdout, stacksSchema)?.Stacks[0]?.StackStatus;
    // A stack made by a change set that never ran is still created with CREATE.
    const type = status && status !== 'REVIEW_IN_PROGRESS' ? 'UPDATE' : 'CREATE';
    // The previous plan's change set goes first (its name is taken); none is not an error.
    this.ran(await this.command(['delete-change-set', '--stack-name', stack, '--change-set-name', CHANGE_SET_NAME], caller), 'delete-change-set', /.*/s);
    const s = this.settings;
    const create = [
      'create-change-set', '--stack-name', stack, '--change-set-name', CHANGE_SET_NAME, '--change-set-type', type, ...this.templateArgs,
      ...(s.parameters ? ['--parameters', `file://${path.basename(s.parameters)}`] : []),
      ...(s.capabilities?.length ? ['--capabilities', ...s.capabilities] : []),
      '--output', 'json',
    ];
    this.ran(await this.command(create, caller), 'create-change-set');
    // The waiter fails (exit 255) when the change set ends FAILED, which is also how "no changes" ends: describe tells which.
    this.ran(await this.command(['wait', 'change-set-create-complete', '--stack-name', stack, '--change-set-name', CHANGE_SET_NAME], caller), 'wait change-set-create-complete', /.*/s);
    const { changeSet, result } = await this.describeChangeSet(stack, caller);
    const empty = changeSet.Status === 'FAILED' && NO_CHANGES.test(changeSet.StatusReason ?? '');
    const ok = changeSet.Status === 'CREATE_COMPLETE' || empty;
    return {
      ...finished(result, ok),
      changeSetType: type,
      changeSetId: changeSet.ChangeSetId,
      ...(ok ? { changesPresent: !empty && (changeSet.Changes?.length ?? 0) > 0 } : {}),
      changes: changesOf(changeSet),
      ...(changeSet.StatusReason ? { statusReason: changeSet.StatusReason } : {}),
    };
  }

  private async apply(stack: string, caller: CallerContext) {
    const described = await this.command(['describe-change-set', '--stack-name', stack, '--change-set-name', CHANGE_SET_NAME, '--output', 'json'], caller);
    if (described.status === 'finished' && /ChangeSetNotFound|does not exist/i.test(described.result.stderr)) {
      throw new ConflictError(`Stack ${stack} has no plan to apply: run plan first (it makes the change set ${CHANGE_SET_NAME})`, { field: 'params.action', stack });
    }
    const { changeSet } = await this.describeChangeSet(stack, caller, described);
    if (changeSet.ExecutionStatus !== 'AVAILABLE') {
      const why = NO_CHANGES.test(changeSet.StatusReason ?? '') ? 'the last plan found nothing to change' : `its change set is ${changeSet.ExecutionStatus ?? changeSet.Status}${changeSet.StatusReason ? ` (${changeSet.StatusReason})` : ''}`;
      throw new ConflictError(`Stack ${stack} has nothing to apply: ${why}; run plan again`, { field: 'params.action', stack, status: changeSet.Status, executionStatus: changeSet.ExecutionStatus ?? null });
    }
    // By ARN: what the approver sees is exactly what runs; a newer plan replaces the change set and this one then fails.
    const changes = changesOf(changeSet);
    const outcome = await this.command(['execute-change-set', '--change-set-name', changeSet.ChangeSetId], caller, true, approvalContext(changes));
    return { ...heldForApproval(this.expectHeld(outcome, 'execute-change-set')), changeSetId: changeSet.ChangeSetId, changes };
  }

  /** delete-stack, held, with the resources it removes (list-stack-resources, read at once) for whoever decides. */
  private async destroy(stack: string, caller: CallerContext) {
    const listed = await this.command(['list-stack-resources', '--stack-name', stack, '--output', 'json'], caller);
    if (listed.status === 'finished' && /does not exist/i.test(listed.result.stderr)) {
      throw new ConflictError(`Stack ${stack} does not exist: nothing to destroy`, { field: 'params.workspace', stack });
    }
    const resources = parseJson(this.ran(listed, 'list-stack-resources').stdout, stackResourcesSchema);
    const changes = (resources?.StackResourceSummaries ?? []).filter((r) => r.ResourceStatus !== 'DELETE_COMPLETE').map((r) => ({ action: 'Remove', logicalId: r.LogicalResourceId, type: r.ResourceType }));
    const outcome = await this.command(['delete-stack', '--stack-name', stack], caller, true, approvalContext(changes));
    return { ...heldForApproval(this.expectHeld(outcome, 'delete-stack')), changes };
  }

  private async refresh(stack: string, caller: CallerContext) {
    const started = this.ran(await this.command(['detect-stack-drift', '--stack-name', stack, '--output', 'json'], caller), 'detect-stack-drift');
    const detection = parseJson(started.stdout, driftStartSchema);
    if (!detection) throw new AppError(502, 'CLOUDFORMATION_BAD_OUTPUT', 'aws cloudformation detect-stack-drift printed no StackDriftDetectionId');
    let status: z.infer<typeof driftStatusSchema> | undefined;
    for (let wait = this.pollMs; ; wait = Math.min(wait * 2, 15_000)) {
      const read = this.ran(await this.command(['describe-stack-drift-detection-status', '--stack-drift-detection-id', detection.StackDriftDetectionId, '--output', 'json'], caller), 'describe-stack-drift-detection-status');
      status = parseJson(read.stdout, driftStatusSchema);
      if (!status) throw new AppError(502, 'CLOUDFORMATION_BAD_OUTPUT', 'aws cloudformation describe-stack-drift-detection-status printed no DetectionStatus');
      if (status.DetectionStatus !== 'DETECTION_IN_PROGRESS') break;
      await delay(wait, undefined, { signal: caller.signal });
    }
    const drifts = this.ran(await this.command(['describe-stack-resource-drifts', '--stack-name', stack, '--stack-resource-drift-status-filters', 'MODIFIED', 'DELETED', '--output', 'json'], caller), 'describe-stack-resource-drifts');
    const resources = parseJson(drifts.stdout, resourceDriftsSchema);
    if (!resources) throw new AppError(502, 'CLOUDFORMATION_BAD_OUTPUT', 'aws cloudformation describe-stack-resource-drifts printed no StackResourceDrifts');
    return {
      ...finished(drifts, status.DetectionStatus === 'DETECTION_COMPLETE'),
      drift: {
        detectionId: detection.StackDriftDetectionId,
        detectionStatus: status.DetectionStatus,
        ...(status.DetectionStatusReason ? { detectionStatusReason: status.DetectionStatusReason } : {}),
        stackDriftStatus: status.StackDriftStatus ?? 'UNKNOWN',
        driftedResources: status.DriftedStackResourceCount ?? resources.StackResourceDrifts.length,
        resources: resources.StackResourceDrifts.map((d) => ({
          logicalId: d.LogicalResourceId,
          ...(d.PhysicalResourceId ? { physicalId: d.PhysicalResourceId } : {}),
          type: d.ResourceType,
          status: d.StackResourceDriftStatus,
          differences: (d.PropertyDifferences ?? []).map((x) => ({ path: x.PropertyPath, type: x.DifferenceType, expected: x.ExpectedValue ?? null, actual: x.ActualValue ?? null })),
        })),
      },
    };
  }

  private async describeChangeSet(stack: string, caller: CallerContext, outcome?: CommandOutcome): Promise<{ changeSet: ChangeSet; result: CommandResult }> {
    const result = this.ran(outcome ?? (await this.command(['describe-change-set', '--stack-name', stack, '--change-set-name', CHANGE_SET_NAME, '--output', 'json'], caller)), 'describe-change-set');
    const changeSet = parseJson(result.stdout, changeSetSchema);
    if (!changeSet) throw new AppError(502, 'CLOUDFORMATION_BAD_OUTPUT', `aws cloudformation describe-change-set printed no change set${result.truncated ? ' (its answer exceeded the firewall\'s output limit)' : ''}`);
    return { changeSet, result };
  }

  /** What a step that must run at once printed, however it ended; one held anyway (a control plane without `hold`) ends the operation (409). */
  private result(outcome: CommandOutcome, step: string): CommandResult {
    if (outcome.status === 'finished') return outcome.result;
    throw new ConflictError(`The firewall policy holds aws cloudformation ${step} for approval, but ${step} is a read or a plan step that must run at once: allow it in the policy`, {
      approvalId: outcome.approval.id,
      step,
    });
  }

  /** A step's result when it succeeded; a failure ends the operation, unless its stderr matches `tolerated` (then undefined). */
  private ran(outcome: CommandOutcome, step: string): CommandResult;
  private ran(outcome: CommandOutcome, step: string, tolerated: RegExp): CommandResult | undefined;
  private ran(outcome: CommandOutcome, step: string, tolerated?: RegExp): CommandResult | undefined {
    const r = this.result(outcome, step);
    if (r.exitCode === 0 && !r.timedOut) return r;
    if (tolerated && !r.timedOut && tolerated.test(r.stderr)) return undefined;
    throw new StepFailed(step, r);
  }

  private expectHeld(outcome: CommandOutcome, step: string): Extract<CommandOutcome, { status: 'pending-approval' }> {
    if (outcome.status === 'pending-approval') return outcome;
    // The shipped policy holds execute-change-set and delete-stack; a policy that ran one at once changed infrastructure unasked.
    throw new AppError(500, 'POLICY_DID_NOT_HOLD', `The firewall ran aws cloudformation ${step} without an approval: its policy must hold it`, { exitCode: outcome.result.exitCode });
  }

  /**
   * One step through the firewall. Reads and plan steps must run now (`hold: false`: a policy
   * that holds one refuses it with 409 APPROVAL_REQUIRED instead of leaving an approval nobody
   * asked for); only execute-change-set and delete-stack are held.
   */
  private command(args: readonly string[], caller: CallerContext, held = false, context: ReturnType<typeof approvalContext> = {}): Promise<CommandOutcome> {
    return this.controlPlane.runCommand({ command: 'aws', args: ['cloudformation', ...args], ...(this.cwd === undefined ? {} : { cwd: this.cwd }), ...(this.settings.region ? { env: { AWS_REGION: this.settings.region } } : {}), ...(held ? context : { hold: false }) }, caller);
  }

  /** A step that failed ends the operation as finished and not ok, naming the step and what the CLI said. */
  private async guard<T>(run: () => Promise<T>) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof StepFailed)) throw err;
      return { ...finished(err.result, false), failedStep: err.step, error: lastLine(err.result.stderr) || err.message };
    }
  }
}

function changesOf(changeSet: ChangeSet) {
  return (changeSet.Changes ?? []).flatMap((c) => {
    const r = c.ResourceChange;
    if (!r) return [];
    return [{ action: r.Action, logicalId: r.LogicalResourceId, ...(r.PhysicalResourceId ? { physicalId: r.PhysicalResourceId } : {}), type: r.ResourceType, ...(r.Replacement ? { replacement: r.Replacement } : {}), ...(r.Scope?.length ? { scope: r.Scope } : {}) }];
  });
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';
