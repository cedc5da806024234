import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { ControlPlaneClient } from '../../src/dawg/control-plane/types';
import { createCostReportAction } from '../../src/dawg/modules/devops/cost-report.action';
import { registerDataModules, type DataModules } from '../../src/dawg/modules/data-modules';
import { defineModule } from '../../src/dawg/sdk';
import { waitFor } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { startDawg, type TestDawg } from '../helpers/servers';

/*
 * The blueprint's DataScientist and MarketingStrategist capabilities through the whole path:
 * POST /api/v1/agents/:name/tasks → task queue → control plane → DAWG modules on DuckDB,
 * over the seeded churn dataset. Each answer carries figures the modules computed. Also
 * DevOpsEngineer's optimize-costs, whose daily costs go through the same analytics module.
 */

jest.setTimeout(120_000);

/**
 * A Cost Explorer answer (its documented shape) for the days asked: EC2 with cheaper weekends,
 * flat S3, and EC2 on 2026-10-07 at four times its level.
 */
function costExplorerAnswer(args: readonly string[]) {
  const [, start, end] = /^Start=(\d{4}-\d{2}-\d{2}),End=(\d{4}-\d{2}-\d{2})$/.exec(args[args.indexOf('--time-period') + 1]!)!;
  const days: object[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`), i = 0; t < Date.parse(`${end}T00:00:00Z`); t += 86_400_000, i++) {
    const date = new Date(t).toISOString().slice(0, 10);
    const weekend = [0, 6].includes(new Date(t).getUTCDay());
    const ec2 = (weekend ? 70 : 100) + ((i * 37) % 11) * 0.8;
    days.push({
      TimePeriod: { Start: date, End: new Date(t + 86_400_000).toISOString().slice(0, 10) },
      Total: {},
      Groups: [
        { Keys: ['Amazon EC2'], Metrics: { UnblendedCost: { Amount: (date === '2026-10-07' ? ec2 * 4 : ec2).toFixed(8), Unit: 'USD' } } },
        { Keys: ['Amazon S3'], Metrics: { UnblendedCost: { Amount: '20.00000000', Unit: 'USD' } } },
      ],
      Estimated: false,
    });
  }
  return { GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }], ResultsByTime: days, DimensionValueAttributes: [] };
}

/** The real cost-report action; only the firewall's `aws` run is stood in for (no AWS here). */
function registerCostReport(registry: TestDawg['registry']): void {
  const controlPlane: Pick<ControlPlaneClient, 'runCommand'> = {
    async runCommand(req) {
      const stdout = JSON.stringify(costExplorerAnswer(req.args ?? []));
      return { status: 'finished', rule: 'aws', result: { executable: '/usr/bin/aws', exitCode: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false, durationMs: 5, outputSha256: '' } };
    },
  };
  const now = () => new Date('2026-10-31T08:00:00Z');
  registry.register(defineModule({ name: 'devops', description: 'costs only', version: '1', actions: { 'cost-report': createCostReportAction({ controlPlane, now }) } }));
}

let plane: TestPlane;
let dawg: TestDawg;
let data: DataModules;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'analytics-agents-'));
  dawg = await startDawg({ dataDir: dir });
  data = await registerDataModules({ dataDir: dir, databaseFile: ':memory:', registry: dawg.registry, logger: silentLogger() });
  registerCostReport(dawg.registry);
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url }, runTasks: true });
  const generated = await request(plane.app)
    .post('/api/v1/execute')
    .set('authorization', `Bearer ${plane.userKey}`)
    .send({ module: 'analytics', action: 'generate-dataset', params: { kind: 'churn', users: 1_500, seed: 7 } })
    .expect(200);
  expect(generated.body.result.tables).toEqual([
    { name: 'churn_users', rows: 1_500 },
    { name: 'churn_activity', rows: expect.any(Number) },
    { name: 'churn_monthly', rows: 36 },
  ]);
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  data?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Queues a task through the API (as the plain user key unless `key` says otherwise) and waits for it to complete or fail. */
async function runToEnd(agent: string, taskType: string, payload: Record<string, unknown>, key = plane.userKey) {
  const created = await request(plane.app).post(`/api/v1/agents/${agent}/tasks`).set('authorization', `Bearer ${key}`).send({ taskType, payload }).expect(202);
  return waitFor(
    async () => {
      const t = await plane.agents!.tasks.get(agent, created.body.taskId);
      return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
    },
    60_000,
    `${agent} ${taskType}`,
  );
}

async function runTask(agent: string, taskType: string, payload: Record<string, unknown>, key?: string) {
  const task = await runToEnd(agent, taskType, payload, key);
  expect(task.error).toBeUndefined();
  return task.result as Record<string, any>;
}

describe('DataScientist on the analytics module', () => {
  it('analyze-dataset profiles every column with figures', async () => {
    const { profile } = await runTask('DataScientist', 'analyze-dataset', { dataset: 'churn_users', columns: ['sessions_30d', 'plan', 'churned'] });
    expect(profile.rowCount).toBe(1_500);
    const sessions = profile.columns.find((c: { name: string }) => c.name === 'sessions_30d');
    expect(sessions).toMatchObject({ kind: 'numeric', missing: { count: 0, share: 0 } });
    expect(sessions.mean).toBeGreaterThan(0);
    expect(profile.columns.find((c: { name: string }) => c.name === 'plan').top.map((v: { value: string }) => v.value).sort()).toEqual(['basic', 'free', 'premium']);
  });

  it('build-forecast-model forecasts the monthly churn rate with intervals that widen', async () => {
    const { model } = await runTask('DataScientist', 'build-forecast-model', { dataset: 'churn_monthly', targetColumn: 'churn_rate', timeColumn: 'month', horizon: 3 });
    expect(model.forecast).toHaveLength(3);
    const widths = model.forecast.map((f: { lower: number; upper: number }) => f.upper - f.lower);
    expect(widths[2]).toBeGreaterThan(widths[0]);
    expect(model.modelId).toMatch(/^mdl_/);
  });

  it('segment-users clusters users on the named features', async () => {
    const { segmentation } = await runTask('DataScientist', 'segment-users', { dataset: 'churn_users', features: ['sessions_30d', 'minutes_30d', 'days_since_last_active'], segments: 3 });
    expect(segmentation.k ?? segmentation.clusters?.length).toBe(3);
    expect(JSON.stringify(segmentation)).toContain('silhouette');
  });

  it('detect-anomalies flags the injected spike in a daily metric, ordered by time', async () => {
    // 60 days of weekly-seasonal visits, one day (2026-03-10) at five times its level; rows given out of order.
    const rows = Array.from({ length: 60 }, (_, i) => {
      const day = new Date(Date.UTC(2026, 1, 1 + i)).toISOString().slice(0, 10);
      const visits = 1_000 + 200 * Math.sin((2 * Math.PI * i) / 7) + ((i * 37) % 11) * 5;
      return { day, visits: day === '2026-03-10' ? visits * 5 : visits };
    }).reverse();
    await request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.userKey}`)
      .send({ module: 'analytics', action: 'load-dataset', params: { name: 'daily_visits', rows } }).expect(200);
    const { anomalies } = await runTask('DataScientist', 'detect-anomalies', { dataset: 'daily_visits', metric: 'visits', timeColumn: 'day' });
    const flagged = JSON.stringify(anomalies.anomalies);
    expect(flagged).toContain('2026-03-10');
    expect(anomalies.anomalies.length).toBeLessThanOrEqual(3);
  });
});

describe('MarketingStrategist on the marketing and engagement modules', () => {
  it('audience-targeting returns segments and engagement scores side by side', async () => {
    const result = await runTask('MarketingStrategist', 'audience-targeting', { goal: 'pre-saves', maxSegments: 4 });
    expect(result.segments.segments.length).toBeGreaterThanOrEqual(1);
    expect(result.segments.segments.length).toBeLessThanOrEqual(4);
    expect(result.segments.audience).toBe(1_500);
    expect(result.engagement.users).toBe(1_500);
  });

  it('content-strategy plans dated slots at the audience’s active hours', async () => {
    const result = await runTask('MarketingStrategist', 'content-strategy', { goal: 'launch', channels: ['tiktok', 'email'], weeks: 2, postsPerWeek: 2 });
    expect(result.calendar.slots).toHaveLength(2 * 2 * 2);
    expect(result.themesBy).toContain('offline');
  });

  it('campaign-optimization of an unknown campaign fails with the module’s 404', async () => {
    const task = await runToEnd('MarketingStrategist', 'campaign-optimization', { campaignId: 'cmp_01234567-89ab-cdef-0123-456789abcdef' });
    expect(task.status).toBe('failed');
    expect(JSON.stringify(task.error)).toMatch(/404|NOT_FOUND|not found/i);
  });

  it('predict-churn on tables that were never loaded fails saying how to get them', async () => {
    const task = await runToEnd('DataScientist', 'predict-churn', { prefix: 'nothing' });
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({
      code: 'DATASET_NOT_FOUND',
      message: expect.stringContaining('load the nothing_users, nothing_activity and nothing_monthly tables first, or pass "generate"'),
    });
  });
});

describe('DevOpsEngineer optimize-costs on the analytics module', () => {
  it('names the spike day and projects the next days from the daily totals, with the models it stored', async () => {
    const result = await runTask('DevOpsEngineer', 'optimize-costs', { lookbackDays: 60, projectionDays: 28 }, plane.adminKey);
    expect(result.findings.map((f: { kind: string; key: string }) => `${f.kind}:${f.key}`)).toEqual(['largest:Amazon EC2']);
    const { daily } = result;
    expect(daily.status).toBe('analysed');
    // Only the injected day: weekends are the series' weekly pattern, not spikes.
    expect(daily.spikes.map((s: { date: string }) => s.date)).toEqual(['2026-10-07']);
    expect(daily.spikes[0].amount).toBeGreaterThan(400);
    expect(daily.spikes[0].expected).toBeGreaterThan(110);
    expect(daily.spikes[0].expected).toBeLessThan(130);
    // About 28 days at ~111 a day (20 weekdays at ~124, 8 weekend days at ~94).
    expect(daily.projection.days).toBe(28);
    expect(daily.projection.total).toBeGreaterThan(28 * 100);
    expect(daily.projection.total).toBeLessThan(28 * 125);
    expect(daily.projection.lastDay.lower).toBeLessThanOrEqual(daily.projection.lastDay.amount);
    expect(daily.projection.lastDay.upper).toBeGreaterThanOrEqual(daily.projection.lastDay.amount);
    for (const id of [daily.modelIds.anomaly, daily.modelIds.forecast]) expect(id).toMatch(/^mdl_/);
  });

  it('says why a report too short for the models is not analysed, and still names the groups', async () => {
    const result = await runTask('DevOpsEngineer', 'optimize-costs', { lookbackDays: 5 }, plane.adminKey);
    expect(result.costReport.daily).toHaveLength(5);
    expect(result.findings.map((f: { kind: string; key: string }) => `${f.kind}:${f.key}`)).toEqual(['largest:Amazon EC2']);
    expect(result.daily).toEqual({ status: 'skipped', reason: expect.stringContaining('5 days of costs; spikes and a projection need at least 8') });
  });
});
