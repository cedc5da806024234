import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { approvalWithResult } from '../helpers/approvals';
import type { TestPlane } from '../helpers/control-plane';
import { startInfraRig, type InfraRig } from '../helpers/infra-rig';
import { SERVICE_TOKEN } from '../helpers/servers';

/**
 * Terraform through the whole path with the default TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true:
 * /api/v1/execute → the DAWG's manage-infrastructure → the control plane's firewall with the
 * shipped policy's terraform rule → a stand-in `terraform` (below) that saves a plan file and
 * prints what `terraform plan -no-color` prints. Every terraform command is held, `show`
 * included, so the apply's approval lists the changes read from the approved plan's output.
 */

const FAKE_TERRAFORM = `
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync('.fake-terraform-calls.log', JSON.stringify(args) + '\\n');
if (args[0] === 'plan') {
  const out = args.find((a) => a.startsWith('-out=')).slice(5);
  fs.writeFileSync(out, 'saved plan');
  process.stdout.write([
    'Terraform will perform the following actions:',
    '',
    '  # aws_instance.web must be replaced',
    '-/+ resource "aws_instance" "web" {',
    '    }',
    '',
    '  # aws_s3_bucket.assets will be created',
    '  + resource "aws_s3_bucket" "assets" {',
    '    }',
    '',
    'Plan: 2 to add, 0 to change, 1 to destroy.',
    '',
    'Saved the plan to: ' + out,
    '',
  ].join('\\n'));
  process.exit(2);
}
if (args[0] === 'apply') {
  if (!fs.existsSync(args.at(-1))) { process.stderr.write('Error: Failed to load "' + args.at(-1) + '" as a plan file'); process.exit(1); }
  process.stdout.write('Apply complete! Resources: 2 added, 0 changed, 1 destroyed.\\n');
  process.exit(0);
}
process.stderr.write('unexpected: ' + args.join(' '));
process.exit(1);
`;

describe('devops manage-infrastructure with provider terraform, every terraform command held (the default)', () => {
  let rig: InfraRig;
  let plane: TestPlane;
  let approverKey: string;

  const infra = (params: Record<string, unknown>) =>
    request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'manage-infrastructure', params: { provider: 'terraform', workspace: 'prod', ...params } });
  const approve = (id: string) => request(plane.app).post(`/api/v1/approvals/${id}/approve`).set('authorization', `Bearer ${approverKey}`).send({ note: 'reviewed' });
  const calls = () => readFileSync(path.join(rig.project, '.fake-terraform-calls.log'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as string[])[0]);

  beforeAll(async () => {
    rig = await startInfraRig({ tool: 'terraform', program: FAKE_TERRAFORM, devops: ({ project }) => ({ terraformDir: project }) });
    ({ plane, approverKey } = rig);
  });

  afterAll(async () => {
    await rig?.close();
  });

  test('GET /internal/v1/approvals: the service token only, and a clear 400 naming the bad query field', async () => {
    const internal = (query: Record<string, string>, token: string | null = SERVICE_TOKEN) => {
      const call = request(rig.planeHttp.url).get('/internal/v1/approvals').query(query);
      return token ? call.set('authorization', `Bearer ${token}`) : call;
    };
    const good = { command: 'terraform', cwd: rig.project, arg: '-out=jarvis-none.tfplan' };
    expect((await internal(good)).body).toEqual({ approval: null });
    expect((await internal({ ...good, cwd: '/no/such/dir' })).body).toEqual({ approval: null });
    await internal(good, null).expect(401);
    await internal(good, plane.adminKey).expect(401);
    for (const [query, field] of [
      [{ ...good, command: 'rm -rf' }, 'query.command'],
      [{ ...good, cwd: 'relative/dir' }, 'query.cwd'],
      [{ command: 'terraform', cwd: rig.project }, 'query.arg'],
      [{ ...good, extra: '1' }, 'query'],
    ] as const) {
      const res = await internal(query).expect(400);
      expect(JSON.stringify(res.body.error)).toContain(field);
    }
  });

  test('the apply held after an approved plan carries that plan\'s changes to whoever decides, and applies that plan', async () => {
    const plan = await infra({ action: 'plan' });
    expect(plan.status).toBe(200);
    expect(plan.body.result).toMatchObject({ action: 'plan', status: 'pending-approval', command: { command: 'terraform', args: ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=jarvis-prod.tfplan'] } });
    const planId = plan.body.result.approvalId as string;
    expect((await approve(planId)).status).toBe(200);
    expect((await approvalWithResult(plane.app, approverKey, planId)).result.exitCode).toBe(2);

    const apply = await infra({ action: 'apply' });
    const changes = [
      { action: 'replace', logicalId: 'aws_instance.web', type: 'aws_instance' },
      { action: 'create', logicalId: 'aws_s3_bucket.assets', type: 'aws_s3_bucket' },
    ];
    expect(apply.body.result).toMatchObject({ status: 'pending-approval', changes, changesFrom: expect.stringContaining(`the output of the plan approved as ${planId} on `) });
    // show was asked to run at once and refused (held like every terraform command): it never ran.
    expect(calls()).toEqual(['plan']);
    const pending = await request(plane.app).get(`/api/v1/approvals/${apply.body.result.approvalId}`).set('authorization', `Bearer ${approverKey}`).expect(200);
    expect(pending.body).toMatchObject({ args: ['apply', '-input=false', '-no-color', '-auto-approve', 'jarvis-prod.tfplan'], context: { changes, source: apply.body.result.changesFrom } });

    expect((await approve(apply.body.result.approvalId)).status).toBe(200);
    expect((await approvalWithResult(plane.app, approverKey, apply.body.result.approvalId)).result).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('Apply complete!') });
    expect(calls()).toEqual(['plan', 'apply']);

    // A plan held through another route is found as well: the control plane keeps them, not the DAWG.
    const direct = await request(plane.app)
      .post('/api/v1/devops/exec')
      .set('authorization', `Bearer ${plane.adminKey}`)
      .send({ command: 'terraform', args: ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=jarvis-prod.tfplan'], cwd: rig.project, env: { TF_WORKSPACE: 'prod' } })
      .expect(202);
    const again = await infra({ action: 'apply' });
    expect(again.body.result).toMatchObject({ changes: null, changesUnavailable: expect.stringContaining(`the newest plan asked for, ${direct.body.approval.id}, has not run yet (pending)`) });
  });
});
