import { z } from 'zod';
import { AppError, InvalidError, NotFoundError } from '../../../../common/errors';
import { fieldError } from '../../../../common/validation';
import type { CallerContext, ControlPlaneClient } from '../../../control-plane/types';
import { defineAction, type ActionContext } from '../../../sdk';
import type { DeployRunner, DeploymentRecord } from './deploy-runner';
import type { DeploymentStore } from './deployment-store';
import { renderTemplate, STRATEGIES, type DeployTarget } from './targets';

export const deployServiceParams = z.strictObject({
  service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a service name (letters, digits, . _ -)').describe('Service name to deploy, as declared in DEVOPS_TARGETS_FILE'),
  environment: z.enum(['development', 'staging', 'production']).describe('Target deployment environment'),
  version: z.string().min(1).max(100).optional().describe('Version/tag to deploy (default: latest, found by the target\'s latestVersion command)'),
  strategy: z.enum(STRATEGIES).default('rolling').describe('Deployment strategy; the target declares which it supports'),
  healthCheckUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2_000).optional().describe('URL for post-deployment health validation; must share the origin of the target\'s declared health check'),
});

export interface DeployDeps {
  targets: readonly DeployTarget[];
  store: DeploymentStore;
  runner: DeployRunner;
  controlPlane: Pick<ControlPlaneClient, 'runCommand'>;
}

export function callerOf(ctx: ActionContext): CallerContext {
  if (!ctx.actor) throw fieldError('headers.x-jarvis-actor', 'is required: commands run through the firewall on behalf of a caller');
  return { actor: ctx.actor, requestId: ctx.requestId, signal: ctx.signal };
}

function findTarget(targets: readonly DeployTarget[], service: string, environment: string): DeployTarget {
  const target = targets.find((t) => t.service === service && t.environment === environment);
  if (!target) {
    throw new NotFoundError(`No deployment target for ${service} in ${environment}; targets are declared in DEVOPS_TARGETS_FILE`, {
      declared: targets.map((t) => `${t.service}/${t.environment}`),
    }, 'DEPLOY_TARGET_NOT_FOUND');
  }
  return target;
}

/** The version to deploy: as asked, or the first line the target's latestVersion command prints. */
async function resolveVersion(deps: DeployDeps, target: DeployTarget, asked: string | undefined, caller: CallerContext): Promise<string> {
  let version = asked;
  if (version === undefined) {
    if (!target.latestVersion) throw fieldError('params.version', `is required: ${target.service}/${target.environment} declares no latestVersion command`);
    const outcome = await deps.controlPlane.runCommand(renderTemplate(target.latestVersion, { version: undefined, previousVersion: undefined, service: target.service, environment: target.environment }), caller);
    if (outcome.status !== 'finished' || outcome.result.exitCode !== 0) {
      throw new InvalidError('The latest version could not be determined: its command ' + (outcome.status === 'finished' ? `exited with ${outcome.result.exitCode}` : 'is held for approval'), { issues: [{ field: 'params.version', message: 'give a version explicitly' }] });
    }
    version = outcome.result.stdout.split('\n')[0]!.trim();
  }
  if (!target.versionRegex.test(version)) throw fieldError('params.version', `"${version.slice(0, 100)}" does not match the target's versionPattern ${target.versionPattern}`);
  return version;
}

/**
 * `deploy-service` (blueprint deployService): deploys a declared target with the chosen
 * strategy, checks health, rolls back on failure, and answers the deployment record. One
 * deploy per target at a time (409 otherwise).
 */
export function createDeployServiceAction(deps: DeployDeps) {
  const inProgress = new Set<string>();
  return defineAction({
    description: 'Deploy a declared service with a strategy (rolling, blue-green, canary) through the terminal firewall; health check after, automatic rollback on failure',
    params: deployServiceParams,
    async handler(p, ctx): Promise<DeploymentRecord> {
      const caller = callerOf(ctx);
      const target = findTarget(deps.targets, p.service, p.environment);
      if (!target.strategies[p.strategy]) {
        throw fieldError('params.strategy', `${p.strategy} is not declared for ${target.service}/${target.environment}; declared: ${Object.keys(target.strategies).join(', ')}`);
      }
      const declared = new URL(target.healthCheck.url);
      if (p.healthCheckUrl !== undefined && new URL(p.healthCheckUrl).origin !== declared.origin) {
        throw fieldError('params.healthCheckUrl', `must be on the target's health check origin ${declared.origin}`);
      }
      const key = `${target.service}/${target.environment}`;
      if (inProgress.has(key)) throw new AppError(409, 'DEPLOY_IN_PROGRESS', `A deploy of ${key} is already running`, { target: key });
      inProgress.add(key);
      try {
        const version = await resolveVersion(deps, target, p.version, caller);
        const previousVersion = await deps.store.currentVersion(target.service, target.environment);
        const record = deps.runner.newRecord({ target, strategy: p.strategy, version, previousVersion, requestedBy: caller.actor });
        await deps.store.save(record);
        ctx.logger.info('deploy started', { deploymentId: record.deploymentId, target: key, version, previousVersion, strategy: p.strategy });
        try {
          await deps.runner.run(record, target, p.healthCheckUrl ?? target.healthCheck.url, caller);
        } catch (err) {
          record.status = 'failed';
          record.reason = `internal error: ${(err as Error).message}`;
          record.finishedAt = new Date().toISOString();
          throw err;
        } finally {
          await deps.store.save(record);
          ctx.logger.info('deploy ended', { deploymentId: record.deploymentId, status: record.status, reason: record.reason });
        }
        return record;
      } finally {
        inProgress.delete(key);
      }
    },
  });
}

export const listDeploymentsParams = z.strictObject({
  service: z.string().min(1).max(100).optional(),
  environment: z.enum(['development', 'staging', 'production']).optional(),
  limit: z.number().int().min(1).max(200).default(20),
});

export function createListDeploymentsAction(deps: Pick<DeployDeps, 'store' | 'targets'>) {
  return defineAction({
    description: 'Deployment history, newest first, and the declared targets with the version each runs',
    params: listDeploymentsParams,
    async handler(p) {
      const deployments = await deps.store.list(p);
      const targets = await Promise.all(
        deps.targets.map(async (t) => ({ service: t.service, environment: t.environment, strategies: Object.keys(t.strategies), currentVersion: (await deps.store.currentVersion(t.service, t.environment)) ?? null })),
      );
      return { targets, deployments };
    },
  });
}
