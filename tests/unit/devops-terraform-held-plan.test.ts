import { formatInfraResult } from '../../src/cli/infra-commands';
import { AppError } from '../../src/common/errors';
import type { ApprovalView } from '../../src/common/firewall-protocol';
import type { CommandOutcome, CommandRequest, ControlPlaneClient } from '../../src/dawg/control-plane/types';
import { createManageInfrastructureAction } from '../../src/dawg/modules/devops/infrastructure.action';
import { planTextChanges } from '../../src/dawg/modules/devops/infrastructure-terraform-plan';
import { ModuleRegistry, defineModule } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

/*
 * Applying a saved Terraform plan under TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true (the
 * default): `terraform show` is held like every terraform command, so what the apply changes is
 * read from the output of the held plan run that saved the file, stored on its approval.
 */

/** `terraform plan -no-color -detailed-exitcode` output (Terraform 1.x), trimmed. */
const PLAN_OUTPUT = `
Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  + create
  ~ update in-place
  - destroy
-/+ destroy and then create replacement
 <= read (data resources)

Terraform will perform the following actions:

  # data.aws_ami.ubuntu will be read during apply
  # (config refers to values not yet known)
 <= data "aws_ami" "ubuntu" {
      + id = (known after apply)
    }

  # aws_instance.web must be replaced
-/+ resource "aws_instance" "web" {
      ~ ami = "ami-0a" -> "ami-0b" # forces replacement
    }

  # aws_s3_bucket.old will be destroyed
  # (because aws_s3_bucket.old is not in configuration)
  - resource "aws_s3_bucket" "old" {
      - bucket = "old-assets" -> null
    }

  # module.db.aws_db_instance.main[0] will be updated in-place
  ~ resource "aws_db_instance" "main" {
      ~ allocated_storage = 20 -> 40
    }

  # aws_route53_record.www["a.example.com"] will be created
  + resource "aws_route53_record" "www" {
      + name = "a.example.com"
    }

Plan: 2 to add, 1 to change, 2 to destroy.

Saved the plan to: jarvis-prod.tfplan
`;

const CHANGES = [
  { action: 'read', logicalId: 'data.aws_ami.ubuntu', type: 'aws_ami' },
  { action: 'replace', logicalId: 'aws_instance.web', type: 'aws_instance' },
  { action: 'delete', logicalId: 'aws_s3_bucket.old', type: 'aws_s3_bucket' },
  { action: 'update', logicalId: 'module.db.aws_db_instance.main[0]', type: 'aws_db_instance' },
  { action: 'create', logicalId: 'aws_route53_record.www["a.example.com"]', type: 'aws_route53_record' },
];

const result = (stdout: string, exitCode = 2, truncated = false) => ({ executable: '/usr/bin/terraform', exitCode, signal: null, stdout, stderr: '', truncated, timedOut: false, durationMs: 900, outputSha256: 'ab'.repeat(32) });

test('reads the resource changes terraform plan printed, in order, with each block type', () => {
  expect(planTextChanges(PLAN_OUTPUT)).toEqual(CHANGES);
  expect(planTextChanges('\nNo changes. Your infrastructure matches the configuration.\n')).toEqual([]);
});

describe('apply under a policy that holds every terraform command', () => {
  const DIR = '/srv/infra';
  let approvals: Map<string, ApprovalView>;
  let asked: CommandRequest[];
  let next = 0;
  /** Whether the policy lets plan run at once (show stays held). */
  let planRunsNow: boolean;
  let exec: (params: Record<string, unknown>) => Promise<{ result: unknown }>;

  function approvalOf(req: CommandRequest): ApprovalView {
    const id = `apr_00000000-0000-0000-0000-00000000000${++next}`;
    const a: ApprovalView = { id, requestedBy: 'key_1', command: 'terraform', args: [...req.args], cwd: DIR, rule: 'terraform', subcommand: req.args[0]!, reason: 'TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM', status: 'pending', createdAt: 'now', expiresAt: 'later', decidedBy: null, decidedAt: null, decisionNote: null, result: null };
    approvals.set(id, a);
    return a;
  }
  /** The admin approved the plan and it ran: the firewall stored its result on the approval. */
  function planRan(id: string, r: ReturnType<typeof result>) {
    Object.assign(approvals.get(id)!, { status: 'finished', decidedBy: 'key_admin', decidedAt: '2026-12-06T20:00:00.000Z', result: r });
  }

  beforeEach(() => {
    approvals = new Map();
    asked = [];
    planRunsNow = false;
    const plane: Pick<ControlPlaneClient, 'runCommand' | 'approval'> = {
      async runCommand(req) {
        asked.push(req);
        if (req.args[0] === 'show') throw new AppError(409, 'APPROVAL_REQUIRED', 'terraform show requires approval by the firewall policy, and the caller needed it to run at once');
        if (req.args[0] === 'plan' && planRunsNow) return { status: 'finished', rule: 'terraform', result: result(PLAN_OUTPUT) } satisfies CommandOutcome;
        return { status: 'pending-approval', approval: approvalOf(req) } satisfies CommandOutcome;
      },
      async approval(id) {
        const a = approvals.get(id);
        if (!a) throw new AppError(404, 'APPROVAL_NOT_FOUND', `No approval ${id}`);
        return structuredClone(a);
      },
    };
    const registry = new ModuleRegistry();
    registry.register(defineModule({ name: 'devops', description: 'test', version: '1', actions: { 'manage-infrastructure': createManageInfrastructureAction({ controlPlane: plane, terraformDir: DIR }) } }));
    exec = (params) => registry.execute({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'terraform', workspace: 'prod', ...params } }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger(), actor: 'key_1' });
  });

  const applyAsked = () => asked.filter((r) => r.args[0] === 'apply').at(-1)!;

  test('the changes come from the held plan once it ran, and go with the apply for whoever decides', async () => {
    // No plan asked for by this process: nothing to read them from.
    expect((await exec({ action: 'apply' })).result).toMatchObject({
      status: 'pending-approval',
      changes: null,
      changesUnavailable: expect.stringMatching(/^the firewall policy holds terraform show, so it did not run \(as TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true.*; and no held plan was asked for since the AI DAWG started: plan again/),
    });

    const plan = (await exec({ action: 'plan' })).result as { approvalId: string };
    // Not run yet: the file holds an earlier plan, if any.
    const early = (await exec({ action: 'apply' })).result as Record<string, unknown>;
    expect(early).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(`the plan asked for as ${plan.approvalId} has not run yet (pending): jarvis-prod.tfplan holds an earlier plan, if any`) });
    expect(applyAsked().context).toBeUndefined();

    planRan(plan.approvalId, result(PLAN_OUTPUT));
    const held = (await exec({ action: 'apply' })).result as Record<string, unknown>;
    expect(held).toMatchObject({ status: 'pending-approval', changes: CHANGES, changesFrom: `the output of the plan approved as ${plan.approvalId} on 2026-12-06T20:00:00.000Z` });
    expect(held).not.toHaveProperty('changesUnavailable');
    expect(held).not.toHaveProperty('held');
    expect(applyAsked().context).toEqual({ changes: CHANGES, source: held.changesFrom });
    // The apply's own approval is not mistaken for the plan's.
    expect(applyAsked().args).toEqual(['apply', '-input=false', '-no-color', '-auto-approve', 'jarvis-prod.tfplan']);

    // Another workspace's plan file has no plan asked for.
    expect((await exec({ action: 'apply', workspace: 'staging' })).result).toMatchObject({ changes: null, changesUnavailable: expect.not.stringContaining(plan.approvalId) });
  });

  test.each([
    ['it failed', result('Error: Invalid reference', 1), 'exited with code 1: jarvis-prod.tfplan holds an earlier plan, if any'],
    ['its output was cut', result(PLAN_OUTPUT, 2, true), "larger than the firewall's output limit"],
    ['its output lists nothing readable', result('Plan: 1 to add, 0 to change, 0 to destroy.', 2), 'lists no resource changes Jarvis can read'],
  ])('no changes are claimed when %s', async (_what, r, why) => {
    const plan = (await exec({ action: 'plan' })).result as { approvalId: string };
    planRan(plan.approvalId, r);
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(why) });
    expect(applyAsked().context).toBeUndefined();
  });

  test('a plan that saw no changes lists none; one denied, or a later plan that ran at once, is not read', async () => {
    const quiet = (await exec({ action: 'plan' })).result as { approvalId: string };
    planRan(quiet.approvalId, result('\nNo changes. Your infrastructure matches the configuration.\n', 0));
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: [], changesFrom: expect.stringContaining(quiet.approvalId) });

    const denied = (await exec({ action: 'plan' })).result as { approvalId: string };
    approvals.get(denied.approvalId)!.status = 'denied';
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(`the plan asked for as ${denied.approvalId} ended denied`) });

    // A plan that ran at once (a policy that does not hold it) saved a newer file: its approval is forgotten.
    planRunsNow = true;
    await exec({ action: 'plan' });
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: null, changesUnavailable: expect.not.stringContaining('apr_') });
  });
});

test('jarvis infra apply prints where the changes were read', () => {
  const text = formatInfraResult({
    action: 'apply', provider: 'terraform', workspace: 'prod', status: 'pending-approval', approvalId: 'apr_2', expiresAt: '2026-12-06T20:05:00.000Z',
    changes: CHANGES.slice(1, 2), changesFrom: 'the output of the plan approved as apr_1 on 2026-12-06T20:00:00.000Z',
  });
  expect(text).toContain('  changes it applies (from the output of the plan approved as apr_1 on 2026-12-06T20:00:00.000Z):\n    replace aws_instance.web (aws_instance)');
});
