import { z } from 'zod';
import { AppError, NotFoundError } from '../../../common/errors';
import type { ControlPlaneClient } from '../../control-plane/types';
import { defineAction } from '../../sdk';
import { callerOf } from './deploy/deploy-service.action';
import { checkHealth } from './deploy/health-check';
import { renderTemplate, type DeployTarget } from './deploy/targets';

export const scaleServiceParams = z
  .strictObject({
    service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a service name (letters, digits, . _ -)'),
    environment: z.enum(['development', 'staging', 'production']),
    minReplicas: z.number().int().min(0).max(100),
    maxReplicas: z.number().int().min(1).max(100),
    targetCpuPercent: z.number().int().min(10).max(95).default(70),
  })
  .refine((p) => p.minReplicas <= p.maxReplicas, { message: 'must not exceed maxReplicas', path: ['minReplicas'] });

export interface ScaleDeps {
  targets: readonly DeployTarget[];
  controlPlane: Pick<ControlPlaneClient, 'runCommand'>;
}

/**
 * `scale-service`: sets a declared target's capacity with the target's own `scale` commands
 * (e.g. `kubectl scale deployment/api --replicas={minReplicas}`, or an autoscaler command
 * where the policy allows one), through the firewall, then checks the service's health.
 * A command held for approval answers with the approval; nothing after it runs.
 */
export function createScaleServiceAction(deps: ScaleDeps) {
  return defineAction({
    description: 'Set a declared service\'s replicas/autoscaling with the target\'s scale commands (through the terminal firewall), then check its health',
    params: scaleServiceParams,
    async handler(p, ctx) {
      const caller = callerOf(ctx);
      const target = deps.targets.find((t) => t.service === p.service && t.environment === p.environment);
      if (!target) throw new NotFoundError(`No deployment target for ${p.service} in ${p.environment}`, { declared: deps.targets.map((t) => `${t.service}/${t.environment}`) }, 'DEPLOY_TARGET_NOT_FOUND');
      if (!target.scale) throw new AppError(501, 'SCALE_NOT_DECLARED', `${p.service}/${p.environment} declares no scale commands in DEVOPS_TARGETS_FILE`, { field: 'params.service' });
      const values = { service: p.service, environment: p.environment, minReplicas: String(p.minReplicas), maxReplicas: String(p.maxReplicas), targetCpuPercent: String(p.targetCpuPercent) };
      const steps = [];
      for (const tpl of target.scale) {
        const command = renderTemplate(tpl, values);
        const outcome = await deps.controlPlane.runCommand(command, caller);
        if (outcome.status === 'pending-approval') {
          steps.push({ command: command.command, args: command.args, status: 'pending-approval' as const, approvalId: outcome.approval.id });
          return { service: p.service, environment: p.environment, status: 'pending-approval' as const, steps, next: `An admin decides at POST /api/v1/approvals/${outcome.approval.id}/approve; later scale commands did not run` };
        }
        const ok = outcome.result.exitCode === 0 && !outcome.result.timedOut;
        steps.push({ command: command.command, args: command.args, status: ok ? ('ok' as const) : ('failed' as const), exitCode: outcome.result.exitCode, timedOut: outcome.result.timedOut, durationMs: outcome.result.durationMs, ...(ok ? {} : { output: `${outcome.result.stdout}\n${outcome.result.stderr}`.trim().slice(-2_000) }) });
        if (!ok) return { service: p.service, environment: p.environment, status: 'failed' as const, steps };
      }
      const health = await checkHealth(target.healthCheck, target.healthCheck.url, undefined, ctx.signal);
      return { service: p.service, environment: p.environment, status: health.healthy ? ('scaled' as const) : ('unhealthy' as const), steps, health, requested: { minReplicas: p.minReplicas, maxReplicas: p.maxReplicas, targetCpuPercent: p.targetCpuPercent } };
    },
  });
}
