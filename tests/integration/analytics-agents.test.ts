import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { registerDataModules, type DataModules } from '../../src/dawg/modules/data-modules';
import { waitFor } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { startDawg, type TestDawg } from '../helpers/servers';

/*
 * The blueprint's DataScientist and MarketingStrategist capabilities through the whole path:
 * POST /api/v1/agents/:name/tasks → task queue → control plane → DAWG modules on DuckDB,
 * over the seeded churn dataset. Each answer carries figures the modules computed.
 */

jest.setTimeout(120_000);

let plane: TestPlane;
let dawg: TestDawg;
let data: DataModules;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'analytics-agents-'));
  dawg = await startDawg({ dataDir: dir });
  data = await registerDataModules({ dataDir: dir, databaseFile: ':memory:', registry: dawg.registry, logger: silentLogger() });
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

/** Queues a task through the API and waits for it to complete or fail. */
async function runToEnd(agent: string, taskType: string, payload: Record<string, unknown>) {
  const created = await request(plane.app).post(`/api/v1/agents/${agent}/tasks`).set('authorization', `Bearer ${plane.userKey}`).send({ taskType, payload }).expect(202);
  return waitFor(
    async () => {
      const t = await plane.agents!.tasks.get(agent, created.body.taskId);
      return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
    },
    60_000,
    `${agent} ${taskType}`,
  );
}

async function runTask(agent: string, taskType: string, payload: Record<string, unknown>) {
  const task = await runToEnd(agent, taskType, payload);
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
