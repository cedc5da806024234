import { writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { bucket, startCloudFormationRig, type CloudFormationRig } from '../helpers/cloudformation-setup';
import { approvalWithResult } from '../helpers/approvals';

/**
 * CloudFormation through the whole path: /api/v1/execute → the DAWG's manage-infrastructure →
 * the control plane's firewall with the shipped policy's aws rule → an `aws` program. No AWS
 * here: tests/fixtures/fake-aws-cloudformation.js stands in for the CLI, keeping stacks and
 * change sets in a file and answering in the CLI's documented shapes and errors.
 */
describe('devops manage-infrastructure with provider cloudformation, through the firewall', () => {
  let rig: CloudFormationRig;
  let project: string;
  let plane: CloudFormationRig['plane'];
  let approverKey: string;
  const STACK = 'shop-staging';

  const writeTemplate = (resources: Record<string, unknown>) => rig.writeTemplate(resources);
  const infra = (params: Record<string, unknown>) =>
    request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'cloudformation', workspace: STACK, ...params } });
  const calls = () => rig.calls();
  const stacks = () => rig.stacks();
  const approve = (id: string, key = approverKey) => request(plane.app).post(`/api/v1/approvals/${id}/approve`).set('authorization', `Bearer ${key}`).send({ note: 'reviewed the change set' });
  const resultOf = (id: string) => approvalWithResult(plane.app, approverKey, id);
  async function applyApproved() {
    const apply = await infra({ action: 'apply' });
    expect(apply.body.result).toMatchObject({ status: 'pending-approval' });
    expect((await approve(apply.body.result.approvalId)).status).toBe(200);
    return resultOf(apply.body.result.approvalId);
  }

  beforeAll(async () => {
    rig = await startCloudFormationRig();
    ({ project, plane, approverKey } = rig);
  });

  afterAll(async () => {
    await rig?.close();
  });

  test('validate reads the template; a template CloudFormation refuses is valid: false with its reason', async () => {
    const ok = await infra({ action: 'validate' });
    expect(ok.status).toBe(200);
    expect(ok.body.result).toMatchObject({ status: 'finished', ok: true, validation: { valid: true, description: 'shop assets', parameters: ['Env'], capabilities: [] } });
    expect(calls().at(-1)).toEqual({ args: ['cloudformation', 'validate-template', '--template-body', 'file://stack.json', '--output', 'json'], region: 'eu-west-1' });
    writeFileSync(path.join(project, 'stack.json'), '{"Description":"no resources"}');
    const bad = await infra({ action: 'validate' });
    expect(bad.body.result).toMatchObject({ ok: false, validation: { valid: false, error: expect.stringContaining('At least one Resources member must be defined') } });
    writeTemplate({ Assets: bucket('shop-assets'), Logs: bucket('shop-logs') });
  });

  test('plan makes a CREATE change set for a new stack; apply executes exactly it once another admin approves; the next plan has nothing to do', async () => {
    const plan = await infra({ action: 'plan' });
    expect(plan.status).toBe(200);
    expect(plan.body.result).toMatchObject({
      action: 'plan', provider: 'cloudformation', workspace: STACK, status: 'finished', ok: true, changesPresent: true, changeSetType: 'CREATE',
      changeSetId: expect.stringMatching(/^arn:aws:cloudformation:eu-west-1:123456789012:changeSet\/jarvis-plan\//),
      changes: [{ action: 'Add', logicalId: 'Assets', type: 'AWS::S3::Bucket' }, { action: 'Add', logicalId: 'Logs', type: 'AWS::S3::Bucket' }],
    });
    const create = calls().find((c) => c.args[1] === 'create-change-set')!;
    expect(create.args).toEqual(['cloudformation', 'create-change-set', '--stack-name', STACK, '--change-set-name', 'jarvis-plan', '--change-set-type', 'CREATE', '--template-body', 'file://stack.json', '--parameters', 'file://params.json', '--capabilities', 'CAPABILITY_IAM', '--output', 'json']);

    const apply = await infra({ action: 'apply' });
    expect(apply.body.result).toMatchObject({
      status: 'pending-approval',
      command: { command: 'aws', args: ['cloudformation', 'execute-change-set', '--change-set-name', plan.body.result.changeSetId] },
      changeSetId: plan.body.result.changeSetId,
      changes: [{ action: 'Add', logicalId: 'Assets' }, { action: 'Add', logicalId: 'Logs' }],
    });
    expect(stacks()[STACK]!.status).toBe('REVIEW_IN_PROGRESS');
    // Whoever decides sees the changes next to the command.
    const pending = await request(plane.app).get(`/api/v1/approvals/${apply.body.result.approvalId}`).set('authorization', `Bearer ${approverKey}`).expect(200);
    expect(pending.body.context).toEqual({ changes: [{ action: 'Add', logicalId: 'Assets', type: 'AWS::S3::Bucket' }, { action: 'Add', logicalId: 'Logs', type: 'AWS::S3::Bucket' }] });
    expect((await approve(apply.body.result.approvalId, plane.adminKey)).status).toBe(403); // not the key that asked
    expect((await approve(apply.body.result.approvalId)).status).toBe(200);
    expect((await resultOf(apply.body.result.approvalId)).result.exitCode).toBe(0);
    expect(stacks()[STACK]).toMatchObject({ status: 'CREATE_COMPLETE', resources: { Assets: expect.anything(), Logs: expect.anything() } });

    const again = await infra({ action: 'plan' });
    expect(again.body.result).toMatchObject({ ok: true, changesPresent: false, changeSetType: 'UPDATE', changes: [], statusReason: expect.stringContaining("didn't contain changes") });
    const nothing = await infra({ action: 'apply' });
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.message).toContain('the last plan found nothing to change');
  });

  test('an approval of an older plan never applies a newer one: the change set it names is gone, so it fails', async () => {
    writeTemplate({ Assets: bucket('shop-assets-v2'), Logs: bucket('shop-logs') });
    expect((await infra({ action: 'plan' })).body.result).toMatchObject({ changesPresent: true, changes: [{ action: 'Modify', logicalId: 'Assets', replacement: 'False', scope: ['Properties'] }] });
    const stale = await infra({ action: 'apply' });
    // Meanwhile someone plans again (a different template): a new change set replaces the reviewed one.
    writeTemplate({ Assets: bucket('shop-assets-v2') });
    expect((await infra({ action: 'plan' })).body.result).toMatchObject({ changes: [{ action: 'Modify', logicalId: 'Assets' }, { action: 'Remove', logicalId: 'Logs' }] });
    expect((await approve(stale.body.result.approvalId)).status).toBe(200);
    expect((await resultOf(stale.body.result.approvalId)).result).toMatchObject({ exitCode: 254, stderr: expect.stringContaining('ChangeSetNotFound') });
    expect(Object.keys(stacks()[STACK]!.resources)).toEqual(['Assets', 'Logs']);
    // The current plan applies as reviewed.
    expect((await applyApproved()).result.exitCode).toBe(0);
    expect(Object.keys(stacks()[STACK]!.resources)).toEqual(['Assets']);
  });

  test('a plan CloudFormation refuses ends ok: false naming the step and the reason', async () => {
    writeFileSync(path.join(project, 'stack.json'), '{"Description":"no resources"}');
    const res = await infra({ action: 'plan' });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ status: 'finished', ok: false, failedStep: 'create-change-set', exitCode: expect.any(Number), error: expect.stringContaining('CreateChangeSet') });
    writeTemplate({ Assets: bucket('shop-assets-v2') });
  });

  test('refresh detects drift at once (no approval) and reads what drifted', async () => {
    writeFileSync(
      path.join(project, 'drifted.json'),
      JSON.stringify([{ LogicalResourceId: 'Assets', PhysicalResourceId: 'shop-assets-v2', ResourceType: 'AWS::S3::Bucket', StackResourceDriftStatus: 'MODIFIED', PropertyDifferences: [{ PropertyPath: '/VersioningConfiguration/Status', ExpectedValue: 'Enabled', ActualValue: 'Suspended', DifferenceType: 'NOT_EQUAL' }] }]),
    );
    const res = await infra({ action: 'refresh' });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({
      status: 'finished', ok: true,
      drift: {
        detectionStatus: 'DETECTION_COMPLETE', stackDriftStatus: 'DRIFTED', driftedResources: 1,
        resources: [{ logicalId: 'Assets', physicalId: 'shop-assets-v2', type: 'AWS::S3::Bucket', status: 'MODIFIED', differences: [{ path: '/VersioningConfiguration/Status', type: 'NOT_EQUAL', expected: 'Enabled', actual: 'Suspended' }] }],
      },
    });
    // It read the detection's status until it was complete (the stand-in says in progress once).
    expect(calls().filter((c) => c.args[1] === 'describe-stack-drift-detection-status')).toHaveLength(2);
  });

  test('destroy is held with the resources it removes; once approved the stack is deleted; a stack that is not there is a 409', async () => {
    const destroy = await infra({ action: 'destroy' });
    expect(destroy.body.result).toMatchObject({
      status: 'pending-approval',
      command: { args: ['cloudformation', 'delete-stack', '--stack-name', STACK] },
      changes: [{ action: 'Remove', logicalId: 'Assets', type: 'AWS::S3::Bucket' }],
    });
    const pending = await request(plane.app).get(`/api/v1/approvals/${destroy.body.result.approvalId}`).set('authorization', `Bearer ${approverKey}`).expect(200);
    expect(pending.body.context).toEqual({ changes: [{ action: 'Remove', logicalId: 'Assets', type: 'AWS::S3::Bucket' }] });
    expect(stacks()[STACK]).toBeDefined();
    expect((await approve(destroy.body.result.approvalId)).status).toBe(200);
    expect((await resultOf(destroy.body.result.approvalId)).result.exitCode).toBe(0);
    expect(stacks()[STACK]).toBeUndefined();
    const gone = await infra({ action: 'destroy' });
    expect(gone.status).toBe(409);
    expect(gone.body.error.message).toContain('does not exist: nothing to destroy');
  });

  test('apply with no plan for the stack answers 409 and asks for one', async () => {
    const res = await infra({ action: 'apply', workspace: 'never-planned' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('run plan first');
  });
});

describe('cloudformation under a policy that holds its reads', () => {
  let strict: CloudFormationRig;
  beforeAll(async () => {
    strict = await startCloudFormationRig({ holdReads: true });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('a plan is refused 409 naming the held step, and leaves no approval behind', async () => {
    const res = await request(strict.plane.app)
      .post('/api/v1/execute')
      .set('authorization', `Bearer ${strict.plane.adminKey}`)
      .send({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'cloudformation', action: 'plan', workspace: 'shop' } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', message: expect.stringContaining('cloudformation describe-stacks requires approval by the firewall policy') });
    expect(await strict.plane.firewall!.listApprovals({ status: 'pending', limit: 10 })).toEqual([]);
  });
});

describe('a template in S3 (DEVOPS_CLOUDFORMATION_TEMPLATE_URL): CloudFormation reads it by URL', () => {
  const URL = 'https://shop-templates.s3.eu-west-1.amazonaws.com/stacks/shop.json';
  let rig: CloudFormationRig;
  const infra = (params: Record<string, unknown>) =>
    request(rig.plane.app).post('/api/v1/execute').set('authorization', `Bearer ${rig.plane.adminKey}`).send({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'cloudformation', workspace: 'shop-big', ...params } });

  beforeAll(async () => {
    rig = await startCloudFormationRig({ templateUrl: URL });
  });
  afterAll(async () => {
    await rig?.close();
  });

  test('validate and plan pass --template-url through the shipped policy; apply executes the change set once approved', async () => {
    const validate = await infra({ action: 'validate' });
    expect(validate.body.result).toMatchObject({ ok: true, validation: { valid: true, description: 'shop assets' } });
    expect(rig.calls().at(-1)!.args).toEqual(['cloudformation', 'validate-template', '--template-url', URL, '--output', 'json']);
    const plan = await infra({ action: 'plan' });
    expect(plan.body.result).toMatchObject({ ok: true, changeSetType: 'CREATE', changes: [{ action: 'Add', logicalId: 'Assets' }, { action: 'Add', logicalId: 'Logs' }] });
    const create = rig.calls().find((c) => c.args[1] === 'create-change-set')!;
    expect(create.args).toEqual(expect.arrayContaining(['--template-url', URL, '--parameters', 'file://params.json']));
    expect(create.args).not.toContain('--template-body');
    const apply = await infra({ action: 'apply' });
    expect(apply.body.result).toMatchObject({ status: 'pending-approval' });
    await request(rig.plane.app).post(`/api/v1/approvals/${apply.body.result.approvalId}/approve`).set('authorization', `Bearer ${rig.approverKey}`).send({}).expect(200);
    expect(await approvalWithResult(rig.plane.app, rig.approverKey, apply.body.result.approvalId)).toMatchObject({ result: { exitCode: 0 } });
    expect(Object.keys(rig.stacks()['shop-big']!.resources)).toEqual(['Assets', 'Logs']);
  });
});
