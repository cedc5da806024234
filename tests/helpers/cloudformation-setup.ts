import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultAgents } from '../../src/control-plane/agents';
import { startInfraRig, type InfraRig } from './infra-rig';

/**
 * A control plane and an AI DAWG whose devops module runs CloudFormation through the firewall
 * with the shipped policy's aws rule, against tests/fixtures/fake-aws-cloudformation.js (a
 * stand-in `aws` keeping stacks and change sets in the template's directory).
 */
export interface CloudFormationRig extends InfraRig {
  writeTemplate(resources: Record<string, unknown>): void;
  calls(): Array<{ args: string[]; region: string | null }>;
  stacks(): Record<string, { status: string; resources: Record<string, unknown> }>;
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
  let templateFile = '';
  const writeTemplate = (resources: Record<string, unknown>) =>
    writeFileSync(templateFile, JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Description: 'shop assets', Parameters: { Env: { Type: 'String' } }, Resources: resources }));
  const rig = await startInfraRig({
    tool: 'aws',
    program: `require(${JSON.stringify(path.join(__dirname, '../fixtures/fake-aws-cloudformation.js'))});\n`,
    projectName: 'infra',
    ...(options.holdReads ? { edit: (rule: Record<string, unknown>) => void ((rule.subcommands as Record<string, { requireApproval?: boolean }>)['cloudformation describe-stacks']!.requireApproval = true) } : {}),
    setup: ({ project }) => {
      templateFile = options.templateUrl ? path.join(project, '.fake-s3', new URL(options.templateUrl).hostname, new URL(options.templateUrl).pathname) : path.join(project, 'stack.json');
      mkdirSync(path.dirname(templateFile), { recursive: true });
      writeTemplate({ Assets: bucket('shop-assets'), Logs: bucket('shop-logs') });
      writeFileSync(path.join(project, 'params.json'), JSON.stringify([{ ParameterKey: 'Env', ParameterValue: 'staging' }]));
    },
    devops: ({ project }) => ({
      driftPollMs: 20,
      cloudformation: { ...(options.templateUrl ? { templateUrl: options.templateUrl } : { template: templateFile }), parameters: path.join(project, 'params.json'), capabilities: ['CAPABILITY_IAM'], region: 'eu-west-1' },
    }),
    ...(options.runTasks ? { agents: createDefaultAgents() } : {}),
  });
  const { project } = rig;
  return {
    ...rig,
    writeTemplate,
    calls: () => readFileSync(path.join(project, '.fake-aws-calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; region: string | null }),
    stacks: () => (JSON.parse(readFileSync(path.join(project, '.fake-cfn.json'), 'utf8')) as { stacks: Record<string, { status: string; resources: Record<string, unknown> }> }).stacks,
  };
}
