import { z } from 'zod';
import { AppError } from '../../../common/errors';
import { BaseAgent } from '../base-agent';
import { manageInfrastructureParams } from '../../../dawg/action-schemas';
import { capability } from '../types';
import { analyseDailyCosts, costFindings, type CostReport } from './cost-analysis';
import { publishTrackInput } from '../../catalog/catalog-service';

const service = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
  .describe('Service name, e.g. jarvis-api');
const environment = z.enum(['development', 'staging', 'production']);

const DEPLOY_CALL_TIMEOUT_MS = 590_000;

const deployService = capability({
  name: 'deploy-service',
  description: 'Deploy applications to cloud environments',
  requiredModules: ['devops'],
  estimatedDuration: 300,
  timeoutMs: 600_000,
  // A deploy changes what serves traffic; after a crash a person decides whether to repeat it.
  resumable: false,
  payload: z
    .object({
      service,
      environment,
      /** Omitted: the DAWG deploys the latest version. */
      version: z.string().min(1).max(100).optional(),
      strategy: z.enum(['rolling', 'blue-green', 'canary']).default('rolling'),
      healthCheckUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    })
    .strict(),
  async run(p, ctx) {
    const deployment = (await ctx.call(
      'devops',
      'deploy-service',
      {
        service: p.service,
        environment: p.environment,
        ...(p.version === undefined ? {} : { version: p.version }),
        strategy: p.strategy,
        ...(p.healthCheckUrl === undefined ? {} : { healthCheckUrl: p.healthCheckUrl }),
      },
      // Health checks and held steps take longer than an ordinary DAWG call; the task's own timeout still bounds it.
      { timeoutMs: DEPLOY_CALL_TIMEOUT_MS },
    )) as { success?: boolean; status?: string; deploymentId?: string; reason?: string; version?: string; previousVersion?: string | null };
    if (deployment.success !== true) {
      // The deploy ran and did not take: the task fails (never retried) with the record that says what happened.
      throw new AppError(422, deployment.status === 'rolled-back' ? 'DEPLOY_ROLLED_BACK' : 'DEPLOY_FAILED', `Deploy of ${p.service} ${deployment.version ?? ''} to ${p.environment} ${deployment.status ?? 'failed'}: ${deployment.reason ?? 'no reason given'}`, { deployment });
    }
    return { service: p.service, environment: p.environment, deployment };
  },
});

const scaleInfrastructure = capability({
  name: 'scale-infrastructure',
  description: 'Auto-scale cloud resources',
  requiredModules: ['devops', 'automation'],
  estimatedDuration: 120,
  timeoutMs: 240_000,
  // Changes live capacity (and the bill); not repeated silently after a crash.
  resumable: false,
  payload: z
    .object({
      service,
      environment,
      minReplicas: z.number().int().min(0).max(100),
      maxReplicas: z.number().int().min(1).max(100),
      targetCpuPercent: z.number().int().min(10).max(95).default(70),
    })
    .strict()
    .refine((p) => p.minReplicas <= p.maxReplicas, {
      message: 'minReplicas must not exceed maxReplicas',
      path: ['minReplicas'],
    }),
  async run(p, ctx) {
    const scaling = await ctx.call('devops', 'scale-service', {
      service: p.service,
      environment: p.environment,
      minReplicas: p.minReplicas,
      maxReplicas: p.maxReplicas,
      targetCpuPercent: p.targetCpuPercent,
    });
    return { service: p.service, environment: p.environment, scaling };
  },
});

/**
 * Diagnosis only: it gathers the evidence (log matches with anomaly detection, DAWG health)
 * and leaves the fix to a person or a later capability, so it reads and is safe to resume.
 */
const troubleshootIncident = capability({
  name: 'troubleshoot-incident',
  description: 'Diagnose and resolve production incidents',
  requiredModules: ['devops', 'testing'],
  estimatedDuration: 180,
  timeoutMs: 360_000,
  resumable: true,
  payload: z
    .object({
      service,
      query: z.string().min(1).max(1000).default('.*').describe('Log search query (regex)'),
      lookbackMinutes: z.number().int().min(1).max(10_080).default(60),
      severity: z
        .array(z.enum(['debug', 'info', 'warn', 'error', 'critical']))
        .min(1)
        .default(['error', 'critical']),
    })
    .strict(),
  async run(p, ctx) {
    const end = new Date();
    const start = new Date(end.getTime() - p.lookbackMinutes * 60_000);
    ctx.signal.throwIfAborted();
    const logs = await ctx.call('devops', 'query-logs', {
      query: p.query,
      services: [p.service],
      timeRange: { start: start.toISOString(), end: end.toISOString() },
      severity: p.severity,
      detectAnomalies: true,
    });
    ctx.progress(40, 'Logs analysed');
    ctx.signal.throwIfAborted();
    // A deploy just before the trouble is the first suspect.
    const deployments = await ctx.call('devops', 'deployments', { service: p.service, limit: 5 });
    ctx.progress(70, 'Recent deploys read');
    ctx.signal.throwIfAborted();
    const health = await ctx.call('testing', 'health-check', {});
    ctx.progress(100, 'Health checked');
    return { service: p.service, timeRange: { start: start.toISOString(), end: end.toISOString() }, logs, deployments, health };
  },
});

/**
 * Reports and analyses; it changes no resources, so it is safe to resume. The group findings
 * come from the cost report's own figures; the daily total goes through the analytics module
 * for spike days and a projection of the next days' spend.
 */
const optimizeCosts = capability({
  name: 'optimize-costs',
  description: 'Analyze and reduce cloud costs',
  requiredModules: ['devops', 'analytics'],
  estimatedDuration: 90,
  timeoutMs: 180_000,
  resumable: true,
  payload: z
    .object({
      lookbackDays: z.number().int().min(1).max(365).default(30),
      groupBy: z.enum(['service', 'region', 'usage-type', 'account']).default('service'),
      projectionDays: z.number().int().min(1).max(90).default(30).describe('Days of spend to project from the daily costs'),
    })
    .strict(),
  async run(p, ctx) {
    ctx.signal.throwIfAborted();
    const costReport = (await ctx.call('devops', 'cost-report', { lookbackDays: p.lookbackDays, groupBy: p.groupBy })) as CostReport;
    ctx.progress(50, 'Cost report ready');
    // Held for approval: nothing to analyse yet (the report says where to approve).
    if (costReport.status !== 'finished') return { lookbackDays: p.lookbackDays, groupBy: p.groupBy, costReport, findings: [] };
    const findings = costFindings(costReport);
    ctx.signal.throwIfAborted();
    const daily = await analyseDailyCosts(costReport.daily ?? [], p.projectionDays, ctx);
    ctx.progress(100, 'Costs analysed');
    return { lookbackDays: p.lookbackDays, groupBy: p.groupBy, total: costReport.total, currency: costReport.currency, findings, daily, costReport };
  },
});

const manageInfrastructure = capability({
  name: 'manage-infrastructure',
  description: 'Run infrastructure-as-code operations (Terraform, Pulumi or CloudFormation: plan, validate, apply, destroy, refresh)',
  requiredModules: ['devops'],
  estimatedDuration: 120,
  timeoutMs: 600_000,
  // apply/destroy change real infrastructure; a person decides whether to repeat one after a crash.
  resumable: false,
  // The DAWG action's own schema: what the task accepts is exactly what the action accepts.
  payload: manageInfrastructureParams,
  async run(p, ctx) {
    // plan can take minutes on a large state; apply/destroy/refresh come back at once, held for approval.
    return ctx.call('devops', 'manage-infrastructure', p, { timeoutMs: DEPLOY_CALL_TIMEOUT_MS });
  },
});

/** DevOpsEngineer's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
/**
 * The blueprint's deploy-to-catalog: the control plane's music catalog stores the file (and, with
 * CATALOG_S3_BUCKET, uploads it through the firewall's `aws s3 cp`, approval per policy). No
 * devops module call, so no devops scope needed. A retried task gets its own entry back.
 */
const deployToCatalog = capability({
  name: 'deploy-to-catalog',
  description: 'Publish a mastered track to the music catalog (and S3 when configured)',
  requiredModules: [],
  estimatedDuration: 20,
  timeoutMs: 900_000,
  resumable: true,
  payload: publishTrackInput,
  async run(p, ctx) {
    const track = await ctx.publishTrack(p);
    ctx.progress(100, `Published ${track.id}`);
    return track;
  },
});

export const DEVOPS_ENGINEER_CAPABILITIES = [deployService, scaleInfrastructure, troubleshootIncident, optimizeCosts, manageInfrastructure, deployToCatalog] as const;

/** Deployment and operations through the DAWG's devops module. */
export function createDevOpsEngineerAgent(): BaseAgent {
  return new BaseAgent('DevOpsEngineer', 'Deploys and scales services, investigates incidents and analyses cloud costs', [...DEVOPS_ENGINEER_CAPABILITIES]);
}
