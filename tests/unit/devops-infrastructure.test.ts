import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../src/common/errors';
import { checkCommand, compilePolicy, parsePolicy, readPolicyFile } from '../../src/control-plane/firewall';
import type { CommandOutcome, CommandRequest, ControlPlaneClient } from '../../src/dawg/control-plane/types';
import { compileTargets, renderTemplate, targetsFileSchema } from '../../src/dawg/modules/devops/deploy/targets';
import { createCostReportAction } from '../../src/dawg/modules/devops/cost-report.action';
import { createManageInfrastructureAction, manageInfrastructureParams, terraformArgs } from '../../src/dawg/modules/devops/infrastructure.action';
import { pulumiArgs, type PulumiSettings } from '../../src/dawg/modules/devops/infrastructure-pulumi';
import { approvalContext } from '../../src/dawg/modules/devops/infrastructure-outcome';
import { ModuleRegistry, defineModule } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';
import { SERVICE_TOKEN } from '../helpers/servers';
import { loadDawgConfig } from '../../src/dawg/config';

const POLICY_FILE = path.join(__dirname, '../../config/firewall-policy.json');

let base: string;
beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'infra-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const result = (stdout: string, exitCode = 0) => ({ executable: '/usr/bin/terraform', exitCode, signal: null, stdout, stderr: '', truncated: false, timedOut: false, durationMs: 12, outputSha256: 'ab'.repeat(32) });

/** A control plane that records the commands asked of it and answers what the test says. */
function fakePlane(answer: (req: CommandRequest) => CommandOutcome) {
  const asked: Array<{ req: CommandRequest; actor: string }> = [];
  const plane: Pick<ControlPlaneClient, 'runCommand'> = {
    async runCommand(req, caller) {
      asked.push({ req, actor: caller.actor });
      return answer(req);
    },
  };
  return { plane, asked };
}

function registryWith(plane: Pick<ControlPlaneClient, 'runCommand'>, terraformDir: string | null = base, pulumi?: PulumiSettings) {
  const registry = new ModuleRegistry();
  registry.register(defineModule({ name: 'devops', description: 'test', version: '1', actions: { 'manage-infrastructure': createManageInfrastructureAction({ controlPlane: plane, terraformDir: terraformDir ?? undefined, pulumi }) } }));
  const exec = (params: Record<string, unknown>, actor: string | null = 'key_1') =>
    registry.execute({ module: 'devops', action: 'manage-infrastructure', params }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger(), ...(actor ? { actor } : {}) });
  return exec;
}

describe('manage-infrastructure (terraform through the firewall)', () => {
  test.each([
    [{ action: 'validate' }, ['validate', '-no-color', '-json'], false],
    [{ action: 'plan', workspace: 'staging' }, ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=jarvis-staging.tfplan'], false],
    [{ action: 'plan', targetResources: ['aws_instance.web'] }, ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=jarvis-default.tfplan', '-target=aws_instance.web'], false],
    [{ action: 'apply', workspace: 'staging' }, ['apply', '-input=false', '-no-color', '-auto-approve', 'jarvis-staging.tfplan'], true],
    [{ action: 'apply', targetResources: ['module.db[0]'] }, ['apply', '-input=false', '-no-color', '-auto-approve', '-target=module.db[0]'], true],
    [{ action: 'destroy', targetResources: ['aws_instance.web'] }, ['destroy', '-input=false', '-no-color', '-auto-approve', '-target=aws_instance.web'], true],
    [{ action: 'refresh' }, ['apply', '-refresh-only', '-input=false', '-no-color', '-auto-approve'], true],
  ])('%j runs terraform %j, which the shipped policy admits (held for approval: %s)', async (input, args, held) => {
    const p = manageInfrastructureParams.parse({ provider: 'terraform', ...input });
    expect(terraformArgs(p)).toEqual(args);
    // The default policy, with TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM off: only the policy's own holds apply.
    const policy = compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: false, terraform: false });
    const verdict = await checkCommand(policy, { command: 'terraform', args, cwd: base, ...(p.workspace ? { env: { TF_WORKSPACE: p.workspace } } : {}) });
    expect(verdict).toMatchObject({ ok: true, limits: { requireApproval: held } });
  });

  test('plan reports changes from -detailed-exitcode; validate parses terraform\'s JSON', async () => {
    const { plane, asked } = fakePlane((req) =>
      req.args[0] === 'plan'
        ? { status: 'finished', rule: 'terraform', result: result('Plan: 1 to add', 2) }
        : { status: 'finished', rule: 'terraform', result: result(JSON.stringify({ valid: false, error_count: 1, warning_count: 0, diagnostics: [{ severity: 'error', summary: 'Missing required argument' }] }), 1) },
    );
    const exec = registryWith(plane);
    const plan = await exec({ action: 'plan', provider: 'terraform', workspace: 'prod' });
    expect(plan.result).toMatchObject({ status: 'finished', ok: true, exitCode: 2, changesPresent: true, planFile: 'jarvis-prod.tfplan', workspace: 'prod' });
    expect(asked[0]).toEqual({ req: { command: 'terraform', args: expect.any(Array), cwd: base, env: { TF_WORKSPACE: 'prod' } }, actor: 'key_1' });
    const validate = await exec({ action: 'validate', provider: 'terraform' });
    expect(validate.result).toMatchObject({ ok: false, validation: { valid: false, errorCount: 1, warningCount: 0, diagnostics: [{ summary: 'Missing required argument' }] } });
  });

  test('apply answers the pending approval and where to decide it', async () => {
    const approval = { id: 'apr_00000000-0000-0000-0000-000000000001', requestedBy: 'key_1', command: 'terraform', args: ['apply'], cwd: base, rule: 'terraform', subcommand: 'apply', reason: 'held', status: 'pending' as const, createdAt: 'now', expiresAt: '2026-12-04T16:00:00.000Z', decidedBy: null, decidedAt: null, decisionNote: null, result: null };
    const { plane } = fakePlane(() => ({ status: 'pending-approval', approval }));
    const exec = registryWith(plane);
    const res = await exec({ action: 'apply', provider: 'terraform' });
    expect(res.result).toMatchObject({ status: 'pending-approval', approvalId: approval.id, expiresAt: approval.expiresAt, next: expect.stringContaining(`/api/v1/approvals/${approval.id}/approve`) });
  });

  test('apply of the saved plan lists what it changes (terraform show -json, run now), or says why not; no plan is a 409', async () => {
    const approval = { id: 'apr_00000000-0000-0000-0000-000000000003', requestedBy: 'key_1', command: 'terraform', args: ['apply'], cwd: base, rule: 'terraform', subcommand: 'apply', reason: 'held', status: 'pending' as const, createdAt: 'now', expiresAt: 'later', decidedBy: null, decidedAt: null, decisionNote: null, result: null };
    // Terraform's JSON plan representation, trimmed to what is read.
    const shown = JSON.stringify({
      format_version: '1.2',
      resource_changes: [
        { address: 'aws_s3_bucket.assets', type: 'aws_s3_bucket', change: { actions: ['create'] } },
        { address: 'aws_instance.web', type: 'aws_instance', change: { actions: ['delete', 'create'] } },
        { address: 'aws_iam_role.ci', type: 'aws_iam_role', change: { actions: ['no-op'] } },
        { address: 'module.db.aws_db_instance.main[0]', type: 'aws_db_instance', change: { actions: ['update'] } },
      ],
    });
    let show: () => CommandOutcome = () => ({ status: 'finished', rule: 'terraform', result: result(shown) });
    const { plane, asked } = fakePlane((req) => (req.args[0] === 'show' ? show() : { status: 'pending-approval', approval }));
    const exec = registryWith(plane);
    const held = await exec({ action: 'apply', provider: 'terraform', workspace: 'prod' });
    expect(held.result).toMatchObject({
      status: 'pending-approval',
      approvalId: approval.id,
      changes: [
        { action: 'create', logicalId: 'aws_s3_bucket.assets', type: 'aws_s3_bucket' },
        { action: 'replace', logicalId: 'aws_instance.web', type: 'aws_instance' },
        { action: 'update', logicalId: 'module.db.aws_db_instance.main[0]', type: 'aws_db_instance' },
      ],
    });
    // The shipped policy lets show run at once (with TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM off).
    const policy = compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: false, terraform: false });
    expect(await checkCommand(policy, { command: 'terraform', args: ['show', '-no-color', '-json', 'jarvis-prod.tfplan'], cwd: base })).toMatchObject({ ok: true, limits: { requireApproval: false } });
    expect(asked.map(({ req }) => [req.args.join(' '), req.hold ?? 'may hold'])).toEqual([
      ['show -no-color -json jarvis-prod.tfplan', false],
      ['apply -input=false -no-color -auto-approve jarvis-prod.tfplan', 'may hold'],
    ]);
    // The changes go with the command, for the approval.
    expect(asked[1]!.req.context).toEqual({ changes: (held.result as { changes: unknown[] }).changes });

    show = () => {
      throw new AppError(409, 'APPROVAL_REQUIRED', 'terraform show requires approval by the firewall policy, and the caller needed it to run at once');
    };
    expect((await exec({ action: 'apply', provider: 'terraform', workspace: 'prod' })).result).toMatchObject({ status: 'pending-approval', changes: null, changesUnavailable: expect.stringContaining('TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM') });

    show = () => ({ status: 'finished', rule: 'terraform', result: { ...result(''), exitCode: 1, stderr: 'Error: Failed to read the given file as a state or plan file\n\nopen jarvis-prod.tfplan: no such file or directory' } });
    const before = asked.length;
    await expect(exec({ action: 'apply', provider: 'terraform', workspace: 'prod' })).rejects.toMatchObject({ status: 409, message: expect.stringContaining('run plan first') });
    expect(asked.slice(before).map(({ req }) => req.args[0])).toEqual(['show']);

    // A targeted apply makes a fresh plan at approval: nothing saved to show.
    const targeted = asked.length;
    await exec({ action: 'apply', provider: 'terraform', targetResources: ['aws_instance.web'] });
    expect(asked.slice(targeted).map(({ req }) => req.args[0])).toEqual(['apply']);
  });

  test('refusals name the field and run nothing', async () => {
    const { plane, asked } = fakePlane(() => {
      throw new Error('must not run');
    });
    const exec = registryWith(plane);
    await expect(exec({ action: 'apply', provider: 'terraform', autoApprove: true })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.autoApprove') });
    await expect(exec({ action: 'plan', provider: 'cloudformation', workspace: 'shop' })).rejects.toMatchObject({ status: 503, code: 'NOT_CONFIGURED', message: expect.stringContaining('DEVOPS_CLOUDFORMATION_TEMPLATE') });
    await expect(exec({ action: 'plan', provider: 'cloudformation' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.workspace: is required with cloudformation') });
    await expect(exec({ action: 'plan', provider: 'cloudformation', workspace: '9shop' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.workspace') });
    await expect(exec({ action: 'plan', provider: 'cloudformation', workspace: 'shop', targetResources: ['Bucket'] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.targetResources: CloudFormation cannot target') });
    await expect(exec({ action: 'plan', provider: 'terraform', targetResources: ['x; rm -rf /'] })).rejects.toMatchObject({ status: 400 });
    await expect(exec({ action: 'plan', provider: 'terraform' }, null)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('x-jarvis-actor') });
    await expect(registryWith(plane, null)({ action: 'plan', provider: 'terraform' })).rejects.toMatchObject({ status: 503, code: 'NOT_CONFIGURED' });
    expect(asked).toEqual([]);
  });

  test('a policy that would let terraform apply or destroy run without approval does not load', () => {
    const rules = (apply: Record<string, unknown>) => ({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { terraform: { description: 't', subcommands: { plan: {}, apply } } } });
    expect(() => parsePolicy(rules({ requireApproval: false }))).toThrow(/terraform apply must always require approval/);
    expect(() => parsePolicy(rules({}))).toThrow(/terraform apply must always require approval/);
    expect(() => parsePolicy(rules({ requireApproval: true }))).not.toThrow();
    expect(() => parsePolicy({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { terraform: { description: 't', args: ['apply'] } } })).toThrow(/must require approval/);
  });
});

describe('manage-infrastructure (pulumi through the firewall)', () => {
  const URN = 'urn:pulumi:dev::shop::aws:s3/bucket:Bucket::assets';
  const SITE = 'urn:pulumi:dev::shop::aws:cloudfront/distribution:Distribution::site-cdn';
  const policy = () => compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: false, terraform: false });

  test.each([
    [{ action: 'plan' }, ['preview', '--non-interactive', '--color=never', '--json'], false],
    [{ action: 'plan', workspace: 'acme/shop/dev', targetResources: [SITE, URN] }, ['preview', '--non-interactive', '--color=never', '--json', '--stack=acme/shop/dev', `--target=${SITE}`, `--target=${URN}`], false],
    [{ action: 'apply', workspace: 'dev' }, ['up', '--yes', '--skip-preview', '--non-interactive', '--color=never', '--stack=dev'], true],
    [{ action: 'destroy', workspace: 'dev', targetResources: [URN] }, ['destroy', '--yes', '--skip-preview', '--non-interactive', '--color=never', '--stack=dev', `--target=${URN}`], true],
    [{ action: 'refresh', workspace: 'dev' }, ['refresh', '--yes', '--skip-preview', '--non-interactive', '--color=never', '--stack=dev'], true],
  ])('%j runs pulumi %j, which the shipped policy admits (held for approval: %s)', async (input, args, held) => {
    const p = manageInfrastructureParams.parse({ provider: 'pulumi', ...input });
    expect(pulumiArgs(p)).toEqual(args);
    const verdict = await checkCommand(policy(), { command: 'pulumi', args, cwd: base, env: { PULUMI_SKIP_UPDATE_CHECK: 'true', PULUMI_CONFIG_PASSPHRASE_FILE: '/etc/jarvis/pulumi-passphrase' } });
    expect(verdict).toMatchObject({ ok: true, limits: { requireApproval: held } });
  });

  test('the shipped policy refuses what would run another program, state or backend', async () => {
    for (const [args, env] of [
      [['preview', '--cwd=/tmp'], {}],
      [['preview', '--policy-pack=/tmp/pack'], {}],
      [['up', '--yes', '--plan=/tmp/plan.json'], {}],
      [['stack', 'rm', '--yes'], {}],
      [['preview'], { PULUMI_BACKEND_URL: 'file:///tmp' }],
      [['preview'], { PULUMI_CONFIG_PASSPHRASE: 'secret' }],
    ] as const) {
      const verdict = await checkCommand(policy(), { command: 'pulumi', args: [...args], cwd: base, env: { ...env } });
      expect([args, verdict.ok]).toEqual([args, false]);
    }
  });

  test('plan reads the PreviewDigest: changes, steps other than same, diagnostics; never resource inputs', async () => {
    // The documented shape of `pulumi preview --json` (PreviewDigest), trimmed.
    const digest = {
      config: { 'aws:region': 'eu-west-1' },
      steps: [
        { op: 'same', urn: 'urn:pulumi:dev::shop::pulumi:pulumi:Stack::shop-dev' },
        { op: 'create', urn: URN, newState: { inputs: { bucket: 'assets', tags: { secret: '[secret]' } } } },
        { op: 'update', urn: SITE, diffReasons: ['aliases'], oldState: {}, newState: {} },
      ],
      diagnostics: [{ urn: URN, prefix: 'warning: ', message: 'bucket names are global\n', severity: 'warning' }],
      duration: 1234567890,
      changeSummary: { create: 1, update: 1, same: 1 },
    };
    const { plane, asked } = fakePlane(() => ({ status: 'finished', rule: 'pulumi', result: result(JSON.stringify(digest)) }));
    const exec = registryWith(plane, null, { dir: base, passphraseFile: '/etc/jarvis/pulumi-passphrase' });
    const plan = await exec({ action: 'plan', provider: 'pulumi', workspace: 'dev' });
    expect(plan.result).toEqual({
      action: 'plan', provider: 'pulumi', workspace: 'dev', status: 'finished', ok: true, exitCode: 0, timedOut: false, changesPresent: true,
      preview: {
        changeSummary: { create: 1, update: 1, same: 1 },
        steps: [{ op: 'create', urn: URN }, { op: 'update', urn: SITE, diffReasons: ['aliases'] }],
        diagnostics: [{ severity: 'warning', message: 'bucket names are global', urn: URN }],
        maybeCorrupt: false,
      },
      stderr: '', truncated: false, durationMs: 12, outputSha256: 'ab'.repeat(32),
    });
    expect(JSON.stringify(plan.result)).not.toContain('[secret]');
    expect(asked[0]).toEqual({ req: { command: 'pulumi', args: ['preview', '--non-interactive', '--color=never', '--json', '--stack=dev'], cwd: base, env: { PULUMI_SKIP_UPDATE_CHECK: 'true', PULUMI_CONFIG_PASSPHRASE_FILE: '/etc/jarvis/pulumi-passphrase' } }, actor: 'key_1' });
  });

  test('a preview with nothing to do, one that failed, and one that printed no JSON', async () => {
    const answers = [
      result(JSON.stringify({ steps: [{ op: 'same', urn: URN }], changeSummary: { same: 1 } })),
      result(JSON.stringify({ diagnostics: [{ message: 'error: could not load plugin', severity: 'error' }] }), 255),
      result('error: no stack selected', 255),
    ];
    const { plane } = fakePlane(() => ({ status: 'finished', rule: 'pulumi', result: answers.shift()! }));
    const exec = registryWith(plane, null, { dir: base });
    expect((await exec({ action: 'plan', provider: 'pulumi' })).result).toMatchObject({ ok: true, changesPresent: false, workspace: 'selected', preview: { steps: [] } });
    const failed = (await exec({ action: 'plan', provider: 'pulumi' })).result as Record<string, unknown>;
    expect(failed).toMatchObject({ ok: false, exitCode: 255, preview: { diagnostics: [{ severity: 'error', message: 'error: could not load plugin' }] } });
    expect(failed).not.toHaveProperty('changesPresent');
    expect((await exec({ action: 'plan', provider: 'pulumi' })).result).toMatchObject({ ok: false, stdout: 'error: no stack selected' });
  });

  test('refusals name the field and run nothing', async () => {
    const { plane, asked } = fakePlane(() => {
      throw new Error('must not run');
    });
    const exec = registryWith(plane, null, { dir: base });
    await expect(exec({ action: 'validate', provider: 'pulumi' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.action') });
    await expect(exec({ action: 'plan', provider: 'pulumi', targetResources: ['aws_instance.web'] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.targetResources.0') });
    await expect(exec({ action: 'plan', provider: 'pulumi', targetResources: [URN, 'urn:pulumi:dev::shop::my:web:Site$aws:s3/bucket:Bucket'] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.targetResources.1: must be a Pulumi resource URN') });
    await expect(exec({ action: 'plan', provider: 'terraform', targetResources: [URN] })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.targetResources.0') });
    await expect(exec({ action: 'plan', provider: 'pulumi', workspace: 'a/b/c/d' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.workspace') });
    await expect(exec({ action: 'plan', provider: 'terraform', workspace: 'acme/dev' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.workspace') });
    await expect(exec({ action: 'up', provider: 'pulumi' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('params.action') });
    await expect(registryWith(plane)({ action: 'plan', provider: 'pulumi' })).rejects.toMatchObject({ status: 503, code: 'NOT_CONFIGURED', message: expect.stringContaining('DEVOPS_PULUMI_DIR') });
    expect(asked).toEqual([]);
  });

  test('a policy that would let pulumi change infrastructure without approval does not load', () => {
    const rules = (up: Record<string, unknown>) => ({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { pulumi: { description: 'p', subcommands: { preview: {}, up } } } });
    expect(() => parsePolicy(rules({}))).toThrow(/pulumi up must always require approval/);
    expect(() => parsePolicy(rules({ requireApproval: true }))).not.toThrow();
    expect(() => parsePolicy({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { pulumi: { description: 'p', args: ['up'] } } })).toThrow(/pulumi without subcommands must require approval/);
    expect(() => parsePolicy({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { pulumi: { description: 'p', subcommands: { preview: {} }, allowedEnv: ['PULUMI_BACKEND_URL'] } } })).toThrow(/PULUMI_BACKEND_URL may never be set/);
  });
});

test('DEVOPS_PULUMI_PASSPHRASE_FILE: absolute, and only with DEVOPS_PULUMI_DIR', () => {
  const base = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  expect(loadDawgConfig({ ...base, DEVOPS_PULUMI_DIR: '/srv/infra', DEVOPS_PULUMI_PASSPHRASE_FILE: '/etc/jarvis/pulumi' }).devops.pulumi).toEqual({ dir: '/srv/infra', passphraseFile: '/etc/jarvis/pulumi' });
  expect(loadDawgConfig({ ...base, DEVOPS_PULUMI_DIR: '/srv/infra' }).devops.pulumi).toEqual({ dir: '/srv/infra' });
  expect(loadDawgConfig(base).devops.pulumi).toBeUndefined();
  expect(() => loadDawgConfig({ ...base, DEVOPS_PULUMI_PASSPHRASE_FILE: '/etc/jarvis/pulumi' })).toThrow(/DEVOPS_PULUMI_PASSPHRASE_FILE: is used only with DEVOPS_PULUMI_DIR/);
  expect(() => loadDawgConfig({ ...base, DEVOPS_PULUMI_DIR: '/srv/infra', DEVOPS_PULUMI_PASSPHRASE_FILE: 'pulumi.txt' })).toThrow(/DEVOPS_PULUMI_PASSPHRASE_FILE: must be an absolute path/);
});

test('DEVOPS_CLOUDFORMATION_*: absolute template and parameters in one directory, known capabilities, a region; only with the template', () => {
  const base = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  const template = '/srv/infra/stack.yaml';
  expect(
    loadDawgConfig({ ...base, DEVOPS_CLOUDFORMATION_TEMPLATE: template, DEVOPS_CLOUDFORMATION_PARAMETERS: '/srv/infra/staging.json', DEVOPS_CLOUDFORMATION_CAPABILITIES: 'CAPABILITY_IAM, CAPABILITY_AUTO_EXPAND', DEVOPS_CLOUDFORMATION_REGION: 'eu-west-1' }).devops.cloudformation,
  ).toEqual({ template, parameters: '/srv/infra/staging.json', capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'], region: 'eu-west-1' });
  expect(loadDawgConfig({ ...base, DEVOPS_CLOUDFORMATION_TEMPLATE: template }).devops.cloudformation).toEqual({ template });
  expect(loadDawgConfig(base).devops.cloudformation).toBeUndefined();
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: 'stack.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE: must be an absolute path/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: '/srv/infra/stack.txt' }, /DEVOPS_CLOUDFORMATION_TEMPLATE: must be a \.yaml/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: '/srv/infra/my stack.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE: must be a \.yaml/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: template, DEVOPS_CLOUDFORMATION_PARAMETERS: '/etc/params.json' }, /DEVOPS_CLOUDFORMATION_PARAMETERS: must be in the template's directory/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: template, DEVOPS_CLOUDFORMATION_CAPABILITIES: 'CAPABILITY_ROOT' }, /DEVOPS_CLOUDFORMATION_CAPABILITIES.0: must be a comma-separated list/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: template, DEVOPS_CLOUDFORMATION_REGION: 'Europe' }, /DEVOPS_CLOUDFORMATION_REGION: must be an AWS region/],
    [{ DEVOPS_CLOUDFORMATION_REGION: 'eu-west-1' }, /DEVOPS_CLOUDFORMATION_REGION: is used only with DEVOPS_CLOUDFORMATION_TEMPLATE or DEVOPS_CLOUDFORMATION_TEMPLATE_URL/],
  ];
  for (const [env, message] of refused) expect(() => loadDawgConfig({ ...base, ...env })).toThrow(message);
});

test('DEVOPS_CLOUDFORMATION_TEMPLATE_URL: an S3 object instead of a file (templates up to 1 MB), never both', () => {
  const base = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  for (const url of ['https://shop-templates.s3.eu-west-1.amazonaws.com/stacks/app.yaml', 'https://s3.eu-west-1.amazonaws.com/shop-templates/app.json', 'https://old.bucket.s3-us-west-2.amazonaws.com/a/b/app.template', 'https://b12.s3.amazonaws.com/t.yaml']) {
    expect(loadDawgConfig({ ...base, DEVOPS_CLOUDFORMATION_TEMPLATE_URL: url, DEVOPS_CLOUDFORMATION_PARAMETERS: '/srv/params/prod.json' }).devops.cloudformation).toEqual({ templateUrl: url, parameters: '/srv/params/prod.json' });
  }
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE_URL: 'http://shop.s3.amazonaws.com/app.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE_URL: must be an S3 object's https URL/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE_URL: 'https://example.com/app.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE_URL: must be an S3 object's https URL/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE_URL: 'https://shop.s3.amazonaws.com/app.yaml?X-Amz-Signature=1&b=2' }, /DEVOPS_CLOUDFORMATION_TEMPLATE_URL: must be an S3 object's https URL.*no query string/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE_URL: 'https://shop.s3.amazonaws.evil.com/app.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE_URL: must be/],
    [{ DEVOPS_CLOUDFORMATION_TEMPLATE: '/srv/infra/stack.yaml', DEVOPS_CLOUDFORMATION_TEMPLATE_URL: 'https://b12.s3.amazonaws.com/t.yaml' }, /DEVOPS_CLOUDFORMATION_TEMPLATE_URL: cannot be set with DEVOPS_CLOUDFORMATION_TEMPLATE/],
  ];
  for (const [env, message] of refused) expect(() => loadDawgConfig({ ...base, ...env })).toThrow(message);
});

test('a policy that would let aws execute a change set or delete a stack without approval does not load', () => {
  const policy = (sub: Record<string, unknown>) => ({ version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: { aws: { description: 'a', subcommands: { 'cloudformation describe-stacks': {}, ...sub } } } });
  expect(() => parsePolicy(policy({ 'cloudformation execute-change-set': { requireApproval: false } }))).toThrow(/aws cloudformation execute-change-set must always require approval/);
  expect(() => parsePolicy(policy({ 'cloudformation delete-stack': {} }))).toThrow(/aws cloudformation delete-stack must always require approval/);
  expect(() => parsePolicy(policy({ 'cloudformation delete-stack': { requireApproval: true } }))).not.toThrow();
});

describe('manage-infrastructure (cloudformation): which steps may wait for approval', () => {
  test('reads and plan steps ask the firewall to run now (hold: false); execute-change-set and delete-stack may be held', async () => {
    const changeSet = { ChangeSetId: 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/jarvis-plan/0b4e2f10-0000-4000-8000-000000000001', Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [] };
    const approval = { id: 'apr_00000000-0000-0000-0000-000000000002', requestedBy: 'key_1', command: 'aws', args: [], cwd: base, rule: 'aws', subcommand: null, reason: 'held', status: 'pending' as const, createdAt: 'now', expiresAt: 'later', decidedBy: null, decidedAt: null, decisionNote: null, result: null };
    const { plane, asked } = fakePlane((req) =>
      req.args[1] === 'execute-change-set' || req.args[1] === 'delete-stack'
        ? { status: 'pending-approval', approval }
        : { status: 'finished', rule: 'aws', result: result(req.args[1] === 'describe-stacks' ? JSON.stringify({ Stacks: [{ StackName: 'shop', StackStatus: 'CREATE_COMPLETE' }] }) : req.args[1] === 'list-stack-resources' ? JSON.stringify({ StackResourceSummaries: [] }) : JSON.stringify(changeSet)) },
    );
    const registry = new ModuleRegistry();
    registry.register(defineModule({ name: 'devops', description: 'test', version: '1', actions: { 'manage-infrastructure': createManageInfrastructureAction({ controlPlane: plane, terraformDir: undefined, cloudformation: { template: path.join(base, 'stack.json') } }) } }));
    const exec = (action: string) => registry.execute({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'cloudformation', action, workspace: 'shop' } }, { requestId: 'r1', signal: new AbortController().signal, logger: silentLogger(), actor: 'key_1' });
    await exec('plan');
    await exec('apply');
    await exec('destroy');
    const holds = asked.map(({ req }) => `${req.args[1]}${req.hold === false ? '' : ' (may be held)'}`);
    expect(holds).toEqual([
      'describe-stacks', 'delete-change-set', 'create-change-set', 'wait', 'describe-change-set',
      'describe-change-set', 'execute-change-set (may be held)',
      'list-stack-resources', 'delete-stack (may be held)',
    ]);
  });
});

describe('deployment targets file', () => {
  const target = (extra: Record<string, unknown> = {}) => ({
    service: 'api',
    environment: 'staging',
    healthCheck: { url: 'http://127.0.0.1:8080/health' },
    strategies: { rolling: { steps: [{ name: 'switch', run: { command: 'deployctl', args: ['activate', '{version}'] } }] } },
    ...extra,
  });

  test('defaults and placeholders', () => {
    const [t] = compileTargets(targetsFileSchema.parse({ version: 1, targets: [target()] }));
    expect(t!.healthCheck).toEqual({ url: 'http://127.0.0.1:8080/health', expectStatus: [200], attempts: 5, intervalMs: 2_000, timeoutMs: 5_000 });
    expect(t!.versionRegex.test('v1.2.3')).toBe(true);
    expect(t!.versionRegex.test('1.2.3 --force')).toBe(false);
    const step = t!.strategies.rolling!.steps[0] as { run: { command: string; args: string[] } };
    // A value with spaces stays one argument.
    expect(renderTemplate({ ...step.run, env: undefined }, { version: 'a b', previousVersion: undefined, service: 'api', environment: 'staging' }).args).toEqual(['activate', 'a b']);
    expect(() => renderTemplate({ command: 'x', args: ['{previousVersion}'] }, { version: '1', previousVersion: undefined, service: 's', environment: 'e' })).toThrow(/previousVersion/);
  });

  test.each([
    [{ version: 1, targets: [target(), target()] }, /api\/staging is declared twice/],
    [{ version: 1, targets: [target({ versionPattern: '(' })] }, /versionPattern/],
    [{ version: 1, targets: [target({ strategies: { rolling: { steps: [{ name: 's', run: { command: 'x', args: ['{tag}'] } }] } } })] }, /unknown placeholder \{tag\}/],
  ])('%# refuses a bad file', (doc, message) => {
    expect(() => compileTargets(targetsFileSchema.parse(doc))).toThrow(message);
  });

  test('schema refusals name the field', () => {
    const bad = targetsFileSchema.safeParse({ version: 1, targets: [target({ strategies: {}, healthCheck: { url: 'ftp://x' } })] });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['targets.0.strategies', 'targets.0.healthCheck.url']));
  });
});

test('the example targets file shipped in config/ is valid', () => {
  const doc = JSON.parse(require('node:fs').readFileSync(path.join(__dirname, '../../config/deploy-targets.example.json'), 'utf8'));
  const targets = compileTargets(targetsFileSchema.parse(doc));
  expect(targets.map((t) => `${t.service}/${t.environment}`)).toEqual(['jarvis-api/production', 'dawg/staging']);
  const step = targets[1]!.strategies.rolling!.steps[1] as { run: Parameters<typeof renderTemplate>[0] };
  expect(renderTemplate(step.run, { version: 'v1.4.2', previousVersion: undefined, service: 'dawg', environment: 'staging' }).env).toEqual({ DAWG_VERSION: 'v1.4.2' });
});

describe('cost-report (AWS Cost Explorer through the firewall)', () => {
  // The documented shape of `aws ce get-cost-and-usage --output json` (GetCostAndUsage response).
  const day = (date: string, groups: Array<[string, number]>) => ({
    TimePeriod: { Start: date, End: date },
    Total: {},
    Groups: groups.map(([key, amount]) => ({ Keys: [key], Metrics: { UnblendedCost: { Amount: amount.toFixed(10), Unit: 'USD' } } })),
    Estimated: date === '2026-11-04',
  });
  const answer = {
    GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
    ResultsByTime: [
      day('2026-11-01', [['Amazon EC2', 10], ['Amazon S3', 2]]),
      day('2026-11-02', [['Amazon EC2', 12], ['Amazon S3', 2]]),
      day('2026-11-03', [['Amazon EC2', 14], ['Amazon S3', 2]]),
      day('2026-11-04', [['Amazon EC2', 16], ['Amazon S3', 2]]),
    ],
    DimensionValueAttributes: [],
  };

  function costRegistry(stdout: string, exitCode = 0) {
    const asked: CommandRequest[] = [];
    const registry = new ModuleRegistry();
    const controlPlane: Pick<ControlPlaneClient, 'runCommand'> = {
      async runCommand(req) {
        asked.push(req);
        return { status: 'finished', rule: 'aws', result: result(stdout, exitCode) };
      },
    };
    registry.register(defineModule({ name: 'devops', description: 't', version: '1', actions: { 'cost-report': createCostReportAction({ controlPlane, now: () => new Date('2026-11-05T08:00:00Z') }) } }));
    const exec = (params: Record<string, unknown>) => registry.execute({ module: 'devops', action: 'cost-report', params }, { requestId: 'r', signal: new AbortController().signal, logger: silentLogger(), actor: 'key_1' });
    return { exec, asked };
  }

  test('totals, shares, trend and change per group from the documented answer; the command is one the shipped policy runs without approval', async () => {
    const { exec, asked } = costRegistry(JSON.stringify(answer));
    const res = await exec({ lookbackDays: 4 });
    expect(asked[0]!.args).toEqual(['ce', 'get-cost-and-usage', '--time-period', 'Start=2026-11-01,End=2026-11-05', '--granularity', 'DAILY', '--metrics', 'UnblendedCost', '--group-by', 'Type=DIMENSION,Key=SERVICE', '--output', 'json']);
    expect(res.result).toMatchObject({ status: 'finished', currency: 'USD', total: 60, estimated: true, period: { start: '2026-11-01', end: '2026-11-05', days: 4 } });
    const [ec2, s3] = (res.result as { byGroup: Array<Record<string, unknown>> }).byGroup;
    // EC2: 10, 12, 14, 16 → 52 in all, +2 a day, second half (30) vs first (22): +36.4 %.
    expect(ec2).toEqual({ key: 'Amazon EC2', amount: 52, share: 0.867, trendPerDay: 2, firstHalf: 22, secondHalf: 30, changePercent: 36.4 });
    expect(s3).toMatchObject({ key: 'Amazon S3', amount: 8, trendPerDay: 0, changePercent: 0 });
    expect((res.result as { daily: unknown[] }).daily).toEqual([
      { date: '2026-11-01', amount: 12 },
      { date: '2026-11-02', amount: 14 },
      { date: '2026-11-03', amount: 16 },
      { date: '2026-11-04', amount: 18 },
    ]);
    const policy = compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: true, terraform: true });
    expect(await checkCommand(policy, { command: 'aws', args: asked[0]!.args })).toMatchObject({ ok: true, limits: { requireApproval: false } });
  });

  test('a failing or garbled aws answer is a 502 that says which', async () => {
    await expect(costRegistry('', 255).exec({})).rejects.toMatchObject({ status: 502, code: 'COST_REPORT_FAILED' });
    await expect(costRegistry('not json').exec({})).rejects.toMatchObject({ status: 502, code: 'COST_REPORT_BAD_OUTPUT' });
    await expect(costRegistry(JSON.stringify({ nope: 1 })).exec({})).rejects.toMatchObject({ status: 502, code: 'COST_REPORT_BAD_OUTPUT' });
    const mixed = { ResultsByTime: [day('2026-11-01', [['A', 1]]), { ...day('2026-11-02', []), Groups: [{ Keys: ['B'], Metrics: { UnblendedCost: { Amount: '1', Unit: 'EUR' } } }] }] };
    await expect(costRegistry(JSON.stringify(mixed)).exec({})).rejects.toMatchObject({ code: 'COST_REPORT_MIXED_CURRENCY' });
  });
});

test('the changes stored with an approval are bounded: the first 500, each field cut to its limit', () => {
  const many = Array.from({ length: 600 }, (_, i) => ({ action: 'create', logicalId: `r${i}`, type: 't' }));
  expect((approvalContext(many) as { context: { changes: unknown[] } }).context.changes).toHaveLength(500);
  const [long] = (approvalContext([{ action: 'create', logicalId: 'x'.repeat(2_000), type: 'y'.repeat(400) }]) as { context: { changes: Array<{ logicalId: string; type: string }> } }).context.changes;
  expect([long!.logicalId.length, long!.type.length]).toEqual([1_000, 300]);
  expect(approvalContext([])).toEqual({});
  expect(approvalContext(null)).toEqual({});
});
