import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { TestPlane } from '../helpers/control-plane';
import { startInfraRig, type InfraRig } from '../helpers/infra-rig';
import { approvalWithResult } from '../helpers/approvals';

/**
 * Pulumi through the whole path: /api/v1/execute → the DAWG's manage-infrastructure → the
 * control plane's firewall with the shipped policy's pulumi rule → a `pulumi` program. No Pulumi
 * CLI here: the program stands in for it, keeping a stack's state in a file and printing
 * previews in Pulumi's documented PreviewDigest shape, so plan → approve up → plan shows the
 * change applied, and destroy empties the stack.
 */
/** The stand-in `pulumi`: keeps the stack's state in state.json and logs each call with its environment. */
const PULUMI = `const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync('.pulumi-calls.log', JSON.stringify({ args, env: { HOME: process.env.HOME, PULUMI_SKIP_UPDATE_CHECK: process.env.PULUMI_SKIP_UPDATE_CHECK, PULUMI_CONFIG_PASSPHRASE_FILE: process.env.PULUMI_CONFIG_PASSPHRASE_FILE, OTHER: Object.keys(process.env).filter((k) => !['HOME', 'PATH', 'LANG', 'PULUMI_SKIP_UPDATE_CHECK', 'PULUMI_CONFIG_PASSPHRASE_FILE'].includes(k)).join(',') } }) + '\\n');
const stack = (args.find((a) => a.startsWith('--stack=')) || '--stack=dev').slice(8);
const targets = args.filter((a) => a.startsWith('--target=')).map((a) => a.slice(9));
const urn = (name) => 'urn:pulumi:' + stack + '::shop::aws:s3/bucket:Bucket::' + name;
const picked = (name) => !targets.length || targets.includes(urn(name));
const want = JSON.parse(fs.readFileSync('program.json', 'utf8'));
const have = JSON.parse(fs.readFileSync('state.json', 'utf8'));
const save = (names) => fs.writeFileSync('state.json', JSON.stringify(names));
switch (args[0]) {
  case 'preview': {
    const steps = [...want.map((n) => ({ op: have.includes(n) ? 'same' : 'create', urn: urn(n), newState: { inputs: { bucket: n, acl: '[secret]' } } })), ...have.filter((n) => !want.includes(n)).map((n) => ({ op: 'delete', urn: urn(n) }))].filter((s) => picked(s.urn.split('::').pop()));
    const changeSummary = {};
    for (const s of steps) changeSummary[s.op] = (changeSummary[s.op] || 0) + 1;
    console.log(JSON.stringify({ config: { 'aws:region': 'eu-west-1' }, steps, diagnostics: [], duration: 1000000, changeSummary }, null, 4));
    break;
  }
  case 'up': save([...have.filter((n) => want.includes(n) || !picked(n)), ...want.filter((n) => !have.includes(n) && picked(n))]); console.log('Resources:\\n    ' + want.length + ' created'); break;
  case 'destroy': save(have.filter((n) => !picked(n))); console.log('Resources:\\n    ' + have.length + ' deleted'); break;
  default: process.stderr.write('unexpected ' + args.join(' ') + '\\n'); process.exit(2);
}
`;

describe('devops manage-infrastructure with provider pulumi, through the firewall', () => {
  let rig: InfraRig;
  let project: string;
  let plane: TestPlane;
  let approverKey: string;
  const passphraseFile = '/etc/jarvis/pulumi-passphrase';
  const urn = (name: string) => `urn:pulumi:dev::shop::aws:s3/bucket:Bucket::${name}`;

  const infra = (params: Record<string, unknown>) =>
    request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'pulumi', ...params } });
  const calls = () => readFileSync(path.join(project, '.pulumi-calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; env: Record<string, string | undefined> });
  const state = () => JSON.parse(readFileSync(path.join(project, 'state.json'), 'utf8')) as string[];

  beforeAll(async () => {
    rig = await startInfraRig({
      tool: 'pulumi',
      program: PULUMI,
      // The "program": the buckets the stack should have. The stack's state starts empty.
      setup: ({ project }) => {
        writeFileSync(path.join(project, 'program.json'), JSON.stringify(['assets', 'logs']));
        writeFileSync(path.join(project, 'state.json'), '[]');
      },
      devops: ({ project }) => ({ pulumi: { dir: project, passphraseFile } }),
    });
    ({ project, plane, approverKey } = rig);
  });

  afterAll(async () => {
    await rig?.close();
  });

  const approve = (id: string, key = approverKey) => request(plane.app).post(`/api/v1/approvals/${id}/approve`).set('authorization', `Bearer ${key}`).send({ note: 'reviewed the preview' });
  const resultOf = (id: string) => approvalWithResult(plane.app, approverKey, id);

  test('plan previews at once; up is held, runs once another admin approves, and the next plan shows nothing to do', async () => {
    const plan = await infra({ action: 'plan', workspace: 'dev' });
    expect(plan.status).toBe(200);
    expect(plan.body.result).toMatchObject({
      action: 'plan', provider: 'pulumi', workspace: 'dev', status: 'finished', ok: true, changesPresent: true,
      preview: { changeSummary: { create: 2 }, steps: [{ op: 'create', urn: urn('assets') }, { op: 'create', urn: urn('logs') }], diagnostics: [] },
    });
    expect(JSON.stringify(plan.body)).not.toContain('[secret]');
    // What the program saw: the project directory as HOME, the two variables, nothing inherited.
    expect(calls()[0]).toEqual({ args: ['preview', '--non-interactive', '--color=never', '--json', '--stack=dev'], env: { HOME: project, PULUMI_SKIP_UPDATE_CHECK: 'true', PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile, OTHER: '' } });

    const up = await infra({ action: 'apply', workspace: 'dev' });
    expect(up.status).toBe(200);
    expect(up.body.result).toMatchObject({
      status: 'pending-approval',
      command: { command: 'pulumi', args: ['up', '--yes', '--skip-preview', '--non-interactive', '--color=never', '--stack=dev'], cwd: project },
      // What it would change, from a preview made when it was asked.
      changes: [
        { action: 'create', logicalId: urn('assets'), type: 'aws:s3/bucket:Bucket' },
        { action: 'create', logicalId: urn('logs'), type: 'aws:s3/bucket:Bucket' },
      ],
    });
    expect(state()).toEqual([]);
    const pending = await request(plane.app).get(`/api/v1/approvals/${up.body.result.approvalId}`).set('authorization', `Bearer ${approverKey}`).expect(200);
    expect(pending.body.context).toEqual({ changes: up.body.result.changes });
    expect((await approve(up.body.result.approvalId, plane.adminKey)).status).toBe(403); // not the key that asked
    const approved = await approve(up.body.result.approvalId);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved' });
    expect(await resultOf(up.body.result.approvalId)).toMatchObject({ result: { exitCode: 0, stdout: expect.stringContaining('2 created') } });
    expect(state()).toEqual(['assets', 'logs']);

    const again = await infra({ action: 'plan', workspace: 'dev' });
    expect(again.body.result).toMatchObject({ ok: true, changesPresent: false, preview: { changeSummary: { same: 2 }, steps: [] } });
  });

  test('destroy of one targeted resource: held, then only that resource goes', async () => {
    const destroy = await infra({ action: 'destroy', workspace: 'dev', targetResources: [urn('logs')] });
    expect(destroy.body.result).toMatchObject({ status: 'pending-approval', command: { args: expect.arrayContaining([`--target=${urn('logs')}`]) } });
    expect((await approve(destroy.body.result.approvalId)).status).toBe(200);
    expect(await resultOf(destroy.body.result.approvalId)).toMatchObject({ result: { exitCode: 0 } });
    expect(state()).toEqual(['assets']);
  });

  test("a component's child (its URN joins the types with $) can be targeted: the policy lets $ through in --target only", async () => {
    const child = 'urn:pulumi:dev::shop::my:Site$aws:s3/bucket:Bucket::assets';
    const plan = await infra({ action: 'plan', workspace: 'dev', targetResources: [child] });
    expect(plan.status).toBe(200);
    expect(plan.body.result).toMatchObject({ status: 'finished', ok: true });
    expect(calls().at(-1)!.args).toEqual(['preview', '--non-interactive', '--color=never', '--json', '--stack=dev', `--target=${child}`]);
    const up = await infra({ action: 'apply', workspace: 'dev', targetResources: [child] });
    expect(up.body.result).toMatchObject({ status: 'pending-approval', command: { args: expect.arrayContaining([`--target=${child}`]) } });
    await request(plane.app).post(`/api/v1/approvals/${up.body.result.approvalId}/deny`).set('authorization', `Bearer ${approverKey}`).send({ note: 'not now' }).expect(200);
  });

  test('what the policy or the action refuses answers 4xx naming why, and runs nothing', async () => {
    const before = calls().length;
    const validate = await infra({ action: 'validate' });
    expect(validate.status).toBe(400);
    expect(validate.body.error.message).toContain('params.action');
    const notUrn = await infra({ action: 'plan', targetResources: ['aws_s3_bucket.b'] });
    expect(notUrn.status).toBe(400);
    expect(notUrn.body.error.message).toContain('params.targetResources.0');
    const shellish = await infra({ action: 'plan', targetResources: ['urn:pulumi:dev::shop::my:Site$(id)::b'] });
    expect(shellish.status).toBe(400);
    expect(shellish.body.error.message).toContain('params.targetResources.0');
    const stack = await infra({ action: 'plan', workspace: 'a/b/c/d' });
    expect(stack.status).toBe(400);
    expect(stack.body.error.message).toContain('params.workspace');
    expect(calls()).toHaveLength(before);
  });
});
