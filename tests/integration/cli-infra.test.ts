import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../src/cli/run';
import { startCloudFormationRig, type CloudFormationRig } from '../helpers/cloudformation-setup';

/*
 * `jarvis infra` against a live control plane running the DevOpsEngineer's tasks and an AI
 * DAWG whose devops module runs CloudFormation through the firewall (a stand-in `aws`).
 */

jest.setTimeout(120_000);

let rig: CloudFormationRig;

beforeAll(async () => {
  rig = await startCloudFormationRig({ runTasks: true });
});
afterAll(async () => {
  await rig?.close();
});

async function jarvis(args: string[], key = rig.plane.adminKey): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = { stdout: '', stderr: '' };
  const code = await runCli(args, {
    env: { JARVIS_URL: rig.planeHttp.url, JARVIS_API_KEY: key },
    stdout: (text) => (output.stdout += text),
    stderr: (text) => (output.stderr += text),
  });
  expect(output.stdout + output.stderr).not.toContain(key);
  return { code, ...output };
}

/** Exit code 0; else the failure shows everything the command printed. */
const expectOk = (run: { code: number; stdout: string; stderr: string }) => expect(run.code === 0 ? 0 : run).toBe(0);

test('plan prints the changes and how to apply them; apply prints the approval another admin decides', async () => {
  const plan = await jarvis(['infra', 'plan', '--provider', 'cloudformation', '--workspace', 'shop']);
  expectOk(plan);
  expect(plan.stderr).toMatch(/^Task tsk_[0-9a-f-]{36} queued for DevOpsEngineer \(manage-infrastructure plan\); job: http:\/\//m);
  expect(plan.code).toBe(0);
  expect(plan.stdout).toContain('cloudformation plan (shop): changes\n');
  expect(plan.stdout).toMatch(/^ {2}Add +Assets \(AWS::S3::Bucket\)$/m);
  expect(plan.stdout).toMatch(/^ {2}Add +Logs \(AWS::S3::Bucket\)$/m);
  expect(plan.stdout).toContain('Apply it: jarvis infra apply --provider cloudformation --workspace shop');

  const apply = await jarvis(['infra', 'apply', '--provider', 'cloudformation', '--workspace', 'shop']);
  expectOk(apply);
  const id = /held for approval (apr_[0-9a-f-]{36})/.exec(apply.stdout)?.[1];
  expect(id).toBeDefined();
  expect(apply.stdout).toMatch(/^ {2}command: aws cloudformation execute-change-set --change-set-name arn:aws:cloudformation:eu-west-1:123456789012:changeSet\/jarvis-plan\//m);
  expect(apply.stdout).toContain(`Another admin decides: jarvis approvals approve ${id}`);
  const approved = await jarvis(['approvals', 'approve', id!, '--reason', 'reviewed'], rig.approverKey);
  expect(approved.code).toBe(0);
  for (let i = 0; i < 200 && rig.stacks().shop?.status !== 'CREATE_COMPLETE'; i++) await new Promise((r) => setTimeout(r, 25));
  expect(rig.stacks().shop?.status).toBe('CREATE_COMPLETE');

  const again = await jarvis(['infra', 'plan', '--provider', 'cloudformation', '--workspace', 'shop', '--json']);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ provider: 'cloudformation', action: 'plan', ok: true, changesPresent: false });
});

test('refresh prints the drifted resources; a refused template exits 1 with the reason', async () => {
  writeFileSync(
    path.join(rig.project, 'drifted.json'),
    JSON.stringify([{ LogicalResourceId: 'Logs', ResourceType: 'AWS::S3::Bucket', StackResourceDriftStatus: 'DELETED', PropertyDifferences: [] }]),
  );
  const refresh = await jarvis(['infra', 'refresh', '--provider', 'cloudformation', '--workspace', 'shop']);
  expectOk(refresh);
  expect(refresh.stdout).toContain('cloudformation refresh (shop): DRIFTED, 1 resource(s) drifted');
  expect(refresh.stdout).toMatch(/^ {2}DELETED +Logs \(AWS::S3::Bucket\)$/m);

  writeFileSync(path.join(rig.project, 'stack.json'), '{"Description":"no resources"}');
  const validate = await jarvis(['infra', 'validate', '--provider', 'cloudformation', '--workspace', 'shop']);
  expect(validate.code).toBe(1);
  expect(validate.stdout).toContain('cloudformation validate (shop) failed: ');
  expect(validate.stdout).toContain('At least one Resources member must be defined');
});

test('usage errors name the option; a key without the devops scope is refused', async () => {
  const missing = await jarvis(['infra', 'plan']);
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--provider is required') });
  const target = await jarvis(['infra', 'plan', '--provider', 'cloudformation', '--workspace', 'shop', '--target', 'Assets']);
  expect(target).toMatchObject({ code: 2, stderr: expect.stringContaining('--target: CloudFormation cannot target resources') });
  const provider = await jarvis(['infra', 'plan', '--provider', 'ansible']);
  expect(provider).toMatchObject({ code: 2, stderr: expect.stringContaining('--provider') });
  const action = await jarvis(['infra', 'upgrade', '--provider', 'terraform']);
  expect(action).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown subcommand "infra upgrade"') });
  const help = await jarvis(['help', 'infra']);
  expect(help.stdout).toContain('jarvis infra: Terraform, Pulumi or CloudFormation through the terminal firewall');

  const refused = await jarvis(['infra', 'plan', '--provider', 'cloudformation', '--workspace', 'shop'], rig.plane.userKey);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/devops/);
});
