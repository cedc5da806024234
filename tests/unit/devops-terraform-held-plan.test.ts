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
  let plane: Pick<ControlPlaneClient, 'runCommand' | 'latestApproval'>;
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
    plane = {
      async runCommand(req) {
        asked.push(req);
        if (req.args[0] === 'show') throw new AppError(409, 'APPROVAL_REQUIRED', 'terraform show requires approval by the firewall policy, and the caller needed it to run at once');
        return { status: 'pending-approval', approval: approvalOf(req) } satisfies CommandOutcome;
      },
      // As the control plane answers GET /internal/v1/approvals: the newest match, any status.
      async latestApproval(filter) {
        const newest = [...approvals.values()].reverse().find((a) => a.command === filter.command && a.cwd === filter.cwd && a.args.includes(filter.arg));
        return newest ? structuredClone(newest) : null;
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
      changesUnavailable: expect.stringMatching(/^the firewall policy holds terraform show, so it did not run \(as TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true.*; no held plan saves jarvis-prod\.tfplan: plan, and once that plan is approved and has run, an apply lists its changes$/),
    });

    const plan = (await exec({ action: 'plan' })).result as { approvalId: string };
    // Not run yet: the file holds an earlier plan, if any.
    const early = (await exec({ action: 'apply' })).result as Record<string, unknown>;
    expect(early).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(`the newest plan asked for, ${plan.approvalId}, has not run yet (pending): jarvis-prod.tfplan holds an earlier plan, if any`) });
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
    expect((await exec({ action: 'apply', workspace: 'staging' })).result).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining('no held plan saves jarvis-staging.tfplan') });
    // Nothing is remembered in the DAWG: a fresh action (a restarted DAWG) finds the same plan.
    const restarted = new ModuleRegistry();
    restarted.register(defineModule({ name: 'devops', description: 'test', version: '1', actions: { 'manage-infrastructure': createManageInfrastructureAction({ controlPlane: plane, terraformDir: DIR }) } }));
    const again = await restarted.execute({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'terraform', workspace: 'prod', action: 'apply' } }, { requestId: 'r2', signal: new AbortController().signal, logger: silentLogger(), actor: 'key_1' });
    expect(again.result).toMatchObject({ changes: CHANGES, changesFrom: held.changesFrom });
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

  test('a plan that saw no changes lists none; one denied is not read, nor a plan of another directory', async () => {
    const quiet = (await exec({ action: 'plan' })).result as { approvalId: string };
    planRan(quiet.approvalId, result('\nNo changes. Your infrastructure matches the configuration.\n', 0));
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: [], changesFrom: expect.stringContaining(quiet.approvalId) });

    const denied = (await exec({ action: 'plan' })).result as { approvalId: string };
    approvals.get(denied.approvalId)!.status = 'denied';
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(`the newest plan asked for, ${denied.approvalId}, ended denied`) });

    // A plan held for another directory is not this one's.
    const elsewhere = approvalOf({ command: 'terraform', args: ['plan', '-out=jarvis-prod.tfplan'] });
    Object.assign(elsewhere, { cwd: '/srv/other' });
    planRan(elsewhere.id, result(PLAN_OUTPUT));
    expect((await exec({ action: 'apply' })).result).toMatchObject({ changesUnavailable: expect.stringContaining(`${denied.approvalId}, ended denied`) });
  });
});

test('jarvis infra apply prints where the changes were read', () => {
  const text = formatInfraResult({
    action: 'apply', provider: 'terraform', workspace: 'prod', status: 'pending-approval', approvalId: 'apr_2', expiresAt: '2026-12-06T20:05:00.000Z',
    changes: CHANGES.slice(1, 2), changesFrom: 'the output of the plan approved as apr_1 on 2026-12-06T20:00:00.000Z',
  });
  expect(text).toContain('  changes it applies (from the output of the plan approved as apr_1 on 2026-12-06T20:00:00.000Z):\n    replace aws_instance.web (aws_instance)');
});
