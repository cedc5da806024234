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
 * The blueprint's scenario 2 end to end, on the embedded default with no keys: one request
 * (POST /integrations/chatgpt/actions/analytics/churn) → DataScientist finds at-risk users,
 * names the churn factors with measured weights and forecasts next month's rate →
 * MarketingStrategist segments them into cohorts and schedules a campaign → the daily
 * ChurnPrevention workflow is scheduled; then its slot fires on a controlled clock and sends.
 */

jest.setTimeout(240_000);

let plane: TestPlane;
let dawg: TestDawg;
let data: DataModules;
let dir: string;
/** The DAWG modules' clock (marketing send times, engagement windows): moved by the test. */
let dawgNow = new Date();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'churn-'));
  dawg = await startDawg({ dataDir: dir });
  data = await registerDataModules({ dataDir: dir, databaseFile: ':memory:', registry: dawg.registry, logger: silentLogger(), now: () => dawgNow });
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url }, runTasks: true });
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  data?.close();
  await rm(dir, { recursive: true, force: true });
});

const api = () => request(plane.app);
const auth = (r: request.Test) => r.set('authorization', `Bearer ${plane.userKey}`);

async function runScenario(body: Record<string, unknown>) {
  const started = await auth(api().post('/integrations/chatgpt/actions/analytics/churn')).send(body).expect(202);
  expect(started.body).toMatchObject({ success: true, jobId: expect.stringMatching(/^wf_/) });
  return waitFor(
    async () => {
      // Polled as a client would, slowly enough to stay under the ChatGPT rate limit (50/min).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const { body: job } = await auth(api().get(started.body.jobUrl)).expect(200);
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    },
    180_000,
    'the churn workflow to end',
  );
}

type Step = { stepKey: string; status: string; result: Record<string, any>; error?: unknown };
const stepOf = (job: { steps: Step[] }, key: string) => job.steps.find((s) => s.stepKey === key)!;

describe('churn scenario', () => {
  let first: { status: string; steps: Step[] };

  it('one request finds at-risk users, weighs factors, forecasts churn, creates the campaign and schedules the daily workflow', async () => {
    first = await runScenario({ generate: { seed: 42, users: 5_000 }, workflowName: 'ChurnPrevention_Test' });
    expect(first.steps.map((s) => [s.stepKey, s.status, s.error])).toEqual([
      ['analyze', 'completed', undefined],
      ['campaign', 'completed', undefined],
      ['automation', 'completed', undefined],
    ]);
    const analyze = stepOf(first, 'analyze').result;
    // Model quality on the generated data: well above chance.
    expect(analyze.model.auc).toBeGreaterThan(0.75);
    expect(analyze.atRiskUsers).toBeGreaterThan(0);
    expect(analyze.atRiskUsers).toBeLessThan(analyze.scoredUsers);
    expect(analyze.scoredUsers).toBe(5_000);
    // The generator makes inactivity the strongest driver, then pricing, then competition;
    // ~50 churners held out measure the first reliably, the order of the next two less so.
    expect(analyze.topFactors[0].factor).toBe('inactivity');
    expect(analyze.topFactors.slice(0, 3).map((f: { factor: string }) => f.factor).sort()).toEqual(['competition', 'inactivity', 'pricing']);
    const weights = analyze.topFactors.map((f: { weight: number }) => f.weight);
    expect(weights.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    const next = analyze.nextMonthChurn;
    expect(next.lower).toBeLessThan(next.rate);
    expect(next.rate).toBeLessThan(next.upper);
    expect(next.rate).toBeGreaterThan(0.01);
    expect(next.rate).toBeLessThan(0.12);
    expect(analyze.summary[0]).toContain(`Detected ${analyze.atRiskUsers.toLocaleString('en-US')} at-risk users`);

    const campaign = stepOf(first, 'campaign').result;
    expect(campaign.audience).toBe(analyze.atRiskUsers);
    expect(campaign.cohorts.length).toBeGreaterThanOrEqual(1);
    expect(campaign.cohorts.length).toBeLessThanOrEqual(3);
    expect(campaign.cohorts.reduce((n: number, c: { size: number }) => n + c.size, 0)).toBe(campaign.audience);
    expect(campaign.templates).toHaveLength(campaign.cohorts.length);
    // No language model is configured: the cohort drafts are used, and the answer says so.
    expect(campaign.templates[0].writtenBy).toBe('draft (offline model)');
    expect(campaign.messages).toBeGreaterThan(0);

    const automation = stepOf(first, 'automation').result;
    expect(automation).toMatchObject({ workflow: 'ChurnPrevention_Test', trigger: '0 9 * * * (UTC)', actions: ['analytics.ml-model', 'engagement.score-users', 'marketing.send-due', 'engagement.track'] });
    const schedules = await auth(api().get('/api/v1/schedules')).expect(200);
    expect(schedules.body.schedules).toEqual([expect.objectContaining({ id: automation.scheduleId, name: 'ChurnPrevention_Test', agent: 'MarketingStrategist', taskType: 'run-automation', cron: '0 9 * * *' })]);
  });

  it('gives the same numbers for the same seed', async () => {
    const again = await runScenario({ generate: { seed: 42, users: 5_000 }, workflowName: 'ChurnPrevention_Test' });
    const a = stepOf(first, 'analyze').result;
    const b = stepOf(again, 'analyze').result;
    expect(b.atRiskUsers).toBe(a.atRiskUsers);
    expect(b.topFactors).toEqual(a.topFactors);
    expect(b.nextMonthChurn.rate).toBe(a.nextMonthChurn.rate);
    expect(b.model.auc).toBe(a.model.auc);
    expect(stepOf(again, 'campaign').result.cohorts).toEqual(stepOf(first, 'campaign').result.cohorts);
    // The schedule was found, not duplicated.
    expect(stepOf(again, 'automation').result.scheduleId).toBe(stepOf(first, 'automation').result.scheduleId);
  });

  it('the scheduled workflow fires on its slot: scores users, sends the due messages to the outbox, tracks engagement', async () => {
    const schedule = (await auth(api().get('/api/v1/schedules')).expect(200)).body.schedules[0];
    const slot = new Date(schedule.nextRunAt);
    // The DAWG's clock: just after the campaign's last send time, when every message is due.
    dawgNow = new Date(Date.parse(stepOf(first, 'campaign').result.lastSendAt) + 60_000);
    const [taskId] = await plane.agents!.schedules.tick(new Date(slot.getTime() + 1_000));
    expect(taskId).toMatch(/^tsk_/);
    const task = await waitFor(
      async () => {
        const t = await plane.agents!.tasks.get('MarketingStrategist', taskId!);
        return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
      },
      60_000,
      'the scheduled run to end',
    );
    expect(task.error).toBeUndefined();
    const run = task.result as { status: string; runKey: string; steps: Array<{ key: string; status: string; result: unknown }> };
    expect(run).toMatchObject({ status: 'succeeded', runKey: taskId });
    expect(run.steps.map((s) => [s.key, s.status])).toEqual([
      ['score-users', 'succeeded'],
      ['engagement', 'succeeded'],
      ['send-messages', 'succeeded'],
      ['track-engagement', 'succeeded'],
    ]);
    const sent = run.steps[2]!.result as { sent: number; failed: number };
    expect(sent.sent).toBeGreaterThan(0);
    expect(sent.failed).toBe(0);
    const outbox = await auth(api().post('/api/v1/execute')).send({ module: 'marketing', action: 'outbox', params: { limit: 5 } }).expect(200);
    const messages = JSON.stringify(outbox.body.result);
    expect(messages).toContain('@example.invalid');
    // The slot is spent: ticking it again queues nothing.
    expect(await plane.agents!.schedules.tick(new Date(slot.getTime() + 2_000))).toEqual([]);
  });

  it('refuses bad input with the field named, and queues nothing', async () => {
    const res = await auth(api().post('/integrations/chatgpt/actions/analytics/churn')).send({ threshold: 2, generate: { users: 10 } }).expect(400);
    const fields = JSON.stringify(res.body.error.details);
    expect(fields).toContain('threshold');
    expect(fields).toContain('generate.users');
  });
});
