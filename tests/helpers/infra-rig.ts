import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { createDevopsModule, DeploymentStore, type DevopsModuleDeps } from '../../src/dawg/modules/devops';
import { startTestPlane, type TestPlane } from './control-plane';
import { listen, SERVICE_TOKEN, startDawg, type Listening, type TestDawg } from './servers';

/**
 * A control plane and an AI DAWG whose devops module runs an infrastructure tool (terraform,
 * pulumi, aws) through the firewall with the shipped policy's rule for it, against a stand-in
 * program (`#!node` + `program`) on the rule's path, in a project directory the policy allows.
 */
export interface InfraRig {
  dir: string;
  /** The tool's working directory (the only one the policy allows). */
  project: string;
  plane: TestPlane;
  planeHttp: Listening;
  dawg: TestDawg;
  /** An admin key other than the plane's, to approve what the plane's admin key asked. */
  approverKey: string;
  close(): Promise<void>;
}

export interface InfraRigOptions {
  /** The firewall rule, as config/firewall-policy.json ships it (`edit` may change it first). */
  tool: 'terraform' | 'pulumi' | 'aws';
  /** The stand-in's JavaScript source (CommonJS), run with this Node. */
  program: string;
  /** The project directory's name under the rig's directory. */
  projectName?: string;
  edit?: (rule: Record<string, unknown>) => void;
  /** Files to write before anything starts. */
  setup?: (paths: { dir: string; project: string }) => void;
  /** The devops module's settings for the tool (controlPlane, deployments and the rest are the rig's). */
  devops: (paths: { dir: string; project: string }) => Partial<DevopsModuleDeps>;
  /** Agents whose tasks run (the plane's task runner starts once the module is registered). */
  agents?: NonNullable<Parameters<typeof startTestPlane>[0]>['agents'];
}

export async function startInfraRig(options: InfraRigOptions): Promise<InfraRig> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${options.tool}-`));
  const project = path.join(dir, options.projectName ?? 'project');
  const bin = path.join(dir, 'bin');
  mkdirSync(project);
  mkdirSync(bin);
  options.setup?.({ dir, project });
  writeFileSync(path.join(bin, options.tool), `#!${process.execPath}\n${options.program}`);
  chmodSync(path.join(bin, options.tool), 0o755);
  // The shipped policy's rule, with the stand-in and the project directory.
  const shipped = JSON.parse(readFileSync(path.join(__dirname, '../../config/firewall-policy.json'), 'utf8')) as { rules: Record<string, Record<string, unknown>> };
  const rule = shipped.rules[options.tool]!;
  options.edit?.(rule);
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ version: 1, path: [bin], defaults: { allowedDirectories: [project], maxExecutionTimeMs: 10_000 }, rules: { [options.tool]: rule } }));

  const dawg = await startDawg({ dataDir: dir });
  const plane = await startTestPlane({
    kind: 'pglite',
    // Tasks start once the devops module is registered: a start reads the DAWG's manifest.
    runTasks: false,
    ...(options.agents ? { agents: options.agents } : {}),
    env: { AI_DAWG_BACKEND_URL: dawg.url, TERMINAL_FIREWALL_POLICY_FILE: policyFile, AGENT_QUEUE_POLL_MS: '100' },
  });
  const planeHttp = await listen(plane.app);
  const approverKey = (await plane.apiKeys.create('approver', ['admin', 'devops'])).key;
  const controlPlane = new HttpControlPlaneClient({ baseUrl: planeHttp.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 30_000 });
  const deployments = new DeploymentStore(path.join(dir, 'devops'));
  await deployments.init();
  dawg.registry.register(createDevopsModule({ controlPlane, targets: [], deployments, terraformDir: undefined, logDir: undefined, monitoringDir: path.join(dir, 'devops'), ...options.devops({ dir, project }) }));
  if (options.agents) await plane.start();
  return {
    dir,
    project,
    plane,
    planeHttp,
    dawg,
    approverKey,
    async close() {
      await planeHttp.close();
      await plane.stop();
      await dawg.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
