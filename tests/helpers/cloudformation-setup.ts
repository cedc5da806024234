import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { createDevopsModule, DeploymentStore } from '../../src/dawg/modules/devops';
import { createDefaultAgents } from '../../src/control-plane/agents';
import { startTestPlane, type TestPlane } from './control-plane';
import { listen, SERVICE_TOKEN, startDawg, type Listening, type TestDawg } from './servers';

/**
 * A control plane and an AI DAWG whose devops module runs CloudFormation through the firewall
 * with the shipped policy's aws rule, against tests/fixtures/fake-aws-cloudformation.js (a
 * stand-in `aws` keeping stacks and change sets in the template's directory).
 */
export interface CloudFormationRig {
  dir: string;
  /** The template's directory (where the stand-in keeps its state and call log). */
  project: string;
  plane: TestPlane;
  planeHttp: Listening;
  dawg: TestDawg;
  /** An admin key other than the plane's, to approve what the plane's admin key asked. */
  approverKey: string;
  writeTemplate(resources: Record<string, unknown>): void;
  calls(): Array<{ args: string[]; region: string | null }>;
  stacks(): Record<string, { status: string; resources: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const bucket = (name: string) => ({ Type: 'AWS::S3::Bucket', Properties: { BucketName: name } });

export async function startCloudFormationRig(
  options: {
    runTasks?: boolean;
    /** A stricter policy: every aws cloudformation read held for approval. */
    holdReads?: boolean;
    /** The template as this S3 object (DEVOPS_CLOUDFORMATION_TEMPLATE_URL), which the stand-in reads from <project>/.fake-s3/<host><path>. */
    templateUrl?: string;
  } = {},
): Promise<CloudFormationRig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfn-'));
  const project = path.join(dir, 'infra');
  const bin = path.join(dir, 'bin');
  mkdirSync(project);
  mkdirSync(bin);
  const templateFile = options.templateUrl ? path.join(project, '.fake-s3', new URL(options.templateUrl).hostname, new URL(options.templateUrl).pathname) : path.join(project, 'stack.json');
  mkdirSync(path.dirname(templateFile), { recursive: true });
  const writeTemplate = (resources: Record<string, unknown>) =>
    writeFileSync(templateFile, JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Description: 'shop assets', Parameters: { Env: { Type: 'String' } }, Resources: resources }));
  writeTemplate({ Assets: bucket('shop-assets'), Logs: bucket('shop-logs') });
  writeFileSync(path.join(project, 'params.json'), JSON.stringify([{ ParameterKey: 'Env', ParameterValue: 'staging' }]));
  writeFileSync(path.join(bin, 'aws'), `#!${process.execPath}\nrequire(${JSON.stringify(path.join(__dirname, '../fixtures/fake-aws-cloudformation.js'))});\n`);
  chmodSync(path.join(bin, 'aws'), 0o755);
  // The shipped policy's aws rule, unchanged, with the stand-in and the template directory.
  const shipped = JSON.parse(readFileSync(path.join(__dirname, '../../config/firewall-policy.json'), 'utf8')) as { rules: { aws: { subcommands: Record<string, { requireApproval?: boolean }> } } };
  if (options.holdReads) shipped.rules.aws.subcommands['cloudformation describe-stacks']!.requireApproval = true;
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ version: 1, path: [bin], defaults: { allowedDirectories: [project], maxExecutionTimeMs: 10_000 }, rules: { aws: shipped.rules.aws } }));

  const dawg = await startDawg({ dataDir: dir });
  const plane = await startTestPlane({
    kind: 'pglite',
    // Tasks start once the devops module is registered: a start reads the DAWG's manifest.
    runTasks: false,
    ...(options.runTasks ? { agents: createDefaultAgents() } : {}),
    env: { AI_DAWG_BACKEND_URL: dawg.url, TERMINAL_FIREWALL_POLICY_FILE: policyFile, AGENT_QUEUE_POLL_MS: '100' },
  });
  const planeHttp = await listen(plane.app);
  const approverKey = (await plane.apiKeys.create('approver', ['admin', 'devops'])).key;
  const controlPlane = new HttpControlPlaneClient({ baseUrl: planeHttp.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 30_000 });
  const deployments = new DeploymentStore(path.join(dir, 'devops'));
  await deployments.init();
  dawg.registry.register(
    createDevopsModule({
      controlPlane, targets: [], deployments, terraformDir: undefined, logDir: undefined, monitoringDir: path.join(dir, 'devops'), driftPollMs: 20,
      cloudformation: { ...(options.templateUrl ? { templateUrl: options.templateUrl } : { template: templateFile }), parameters: path.join(project, 'params.json'), capabilities: ['CAPABILITY_IAM'], region: 'eu-west-1' },
    }),
  );
  if (options.runTasks) await plane.start();
  return {
    dir,
    project,
    plane,
    planeHttp,
    dawg,
    approverKey,
    writeTemplate,
    calls: () => readFileSync(path.join(project, '.fake-aws-calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; region: string | null }),
    stacks: () => (JSON.parse(readFileSync(path.join(project, '.fake-cfn.json'), 'utf8')) as { stacks: Record<string, { status: string; resources: Record<string, unknown> }> }).stacks,
    async close() {
      await planeHttp.close();
      await plane.stop();
      await dawg.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
