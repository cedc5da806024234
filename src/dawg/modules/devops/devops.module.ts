import type { ControlPlaneClient } from '../../control-plane/types';
import { defineModule, LONG_ACTION_MS, type ModuleDefinition } from '../../sdk';
import { DeployRunner } from './deploy/deploy-runner';
import { createDeployServiceAction, createListDeploymentsAction } from './deploy/deploy-service.action';
import type { DeploymentStore } from './deploy/deployment-store';
import type { DeployTarget } from './deploy/targets';
import { createCostReportAction } from './cost-report.action';
import { createManageInfrastructureAction } from './infrastructure.action';
import type { CloudFormationSettings } from './infrastructure-cloudformation';
import type { PulumiSettings } from './infrastructure-pulumi';
import { createQueryLogsAction } from './logs';
import { createConfigureMonitoringAction } from './monitoring';
import { createScaleServiceAction } from './scale-service.action';

export interface DevopsModuleDeps {
  controlPlane: ControlPlaneClient;
  /** Declared deployment targets (DEVOPS_TARGETS_FILE); none: every deploy answers 404 naming the file. */
  targets: readonly DeployTarget[];
  deployments: DeploymentStore;
  terraformDir: string | undefined;
  /** The Pulumi project (DEVOPS_PULUMI_DIR); absent: provider pulumi answers 503 NOT_CONFIGURED. */
  pulumi?: PulumiSettings | undefined;
  /** The CloudFormation template (DEVOPS_CLOUDFORMATION_TEMPLATE or _TEMPLATE_URL); absent: provider cloudformation answers 503 NOT_CONFIGURED. */
  cloudformation?: CloudFormationSettings | undefined;
  /** Where alert rules and SLOs are stored (one JSON document). */
  monitoringDir: string;
  /** Both processes' JSON log files (JARVIS_LOG_DIR); undefined: query-logs searches the audit log only. */
  logDir: string | undefined;
  /** Between reads of a held deploy step's approval (1 s by default). */
  approvalPollMs?: number;
  /** Between readings of a CloudFormation drift detection (2 s by default). */
  driftPollMs?: number;
  /** Longest wait for a held deploy step (15 min by default; the approval itself expires sooner). */
  approvalWaitMs?: number;
  /** Time a rollback gets after its deploy was cancelled (10 min by default). */
  rollbackAfterCancelMs?: number;
}

/**
 * DevOps (blueprint §2.1.1). Every command goes through the control plane's terminal
 * firewall (POST /internal/v1/commands) as the caller the control plane named; this process
 * never spawns one.
 */
export function createDevopsModule(deps: DevopsModuleDeps): ModuleDefinition {
  const runner = new DeployRunner({
    controlPlane: deps.controlPlane,
    approvalPollMs: deps.approvalPollMs ?? 1_000,
    approvalWaitMs: deps.approvalWaitMs ?? 15 * 60_000,
    rollbackAfterCancelMs: deps.rollbackAfterCancelMs ?? 10 * 60_000,
  });
  const deployDeps = { targets: deps.targets, store: deps.deployments, runner, controlPlane: deps.controlPlane };
  return defineModule({
    name: 'devops',
    description: 'Deployments with health checks and rollback, Terraform, Pulumi and CloudFormation operations, log queries and monitoring rules, all commands through the terminal firewall',
    version: '1.0.0',
    actions: {
      // Deploys wait for health checks and approvals; plans for the tool; cost reports for AWS.
      'deploy-service': { ...createDeployServiceAction(deployDeps), timeoutMs: LONG_ACTION_MS },
      deployments: createListDeploymentsAction(deployDeps),
      'manage-infrastructure': { ...createManageInfrastructureAction({ controlPlane: deps.controlPlane, terraformDir: deps.terraformDir, pulumi: deps.pulumi, cloudformation: deps.cloudformation, ...(deps.driftPollMs ? { pollMs: deps.driftPollMs } : {}) }), timeoutMs: LONG_ACTION_MS },
      'scale-service': { ...createScaleServiceAction({ targets: deps.targets, controlPlane: deps.controlPlane }), timeoutMs: 180_000 },
      'cost-report': { ...createCostReportAction({ controlPlane: deps.controlPlane }), timeoutMs: 150_000 },
      'query-logs': createQueryLogsAction({ logDir: deps.logDir, controlPlane: deps.controlPlane }),
      'configure-monitoring': createConfigureMonitoringAction({ dir: deps.monitoringDir, controlPlane: deps.controlPlane }),
    },
  });
}
