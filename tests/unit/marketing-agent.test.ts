import { createDefaultAgents } from '../../src/control-plane/agents/catalog';
import type { CapabilityContext } from '../../src/control-plane/agents/types';
import type { ChatAnswer } from '../../src/control-plane/ai-router/ai-service';
import { silentLogger } from '../helpers/logger';

/** A context whose DAWG calls answer from `results` and whose AI answers `content` (offline or a named model). */
function context(results: Record<string, unknown>, ai: { content: string; offline: boolean; model?: string }) {
  const calls: Array<{ target: string; params: Record<string, unknown> }> = [];
  const prompts: string[] = [];
  const ctx: CapabilityContext = {
    taskId: 'tsk_0123456789ab',
    agent: 'MarketingStrategist',
    attempt: 1,
    signal: new AbortController().signal,
    logger: silentLogger(),
    progress: () => undefined,
    recall: async () => [],
    startWorkflow: () => Promise.reject(new Error('no workflows here')),
    publishTrack: () => Promise.reject(new Error('no catalog here')),
    schedule: async (input) => ({ ...input, id: 'sch_1', enabled: true, nextRunAt: '2026-12-05T09:00:00.000Z', createdAt: '2026-12-04T00:00:00.000Z' }),
    ai: async (input) => {
      prompts.push(input.messages.map((m) => m.content).join('\n'));
      return { content: ai.content, offline: ai.offline, model: ai.model ?? (ai.offline ? 'offline-v1' : 'gpt-test') } as ChatAnswer;
    },
    async call(module, action, params) {
      calls.push({ target: `${module}.${action}`, params });
      return results[`${module}.${action}`];
    },
  };
  return { ctx, calls, prompts };
}

const strategist = createDefaultAgents().find((a) => a.name === 'MarketingStrategist')!;
const run = (name: string, payload: unknown, ctx: CapabilityContext) => {
  const cap = strategist.capability(name)!;
  return cap.run(cap.payload.parse(payload), ctx) as Promise<Record<string, any>>;
};

const segmentation = {
  segmentationId: 'seg_1',
  audience: 30,
  segments: [
    { name: 'Price-raised', rule: 'price_increased', size: 20, means: { price_increased: 1, competitor_offer: 0.1 } },
    { name: 'Fading', rule: 'recency > 14 days', size: 10, means: { price_increased: 0, competitor_offer: 0 } },
  ],
};

describe('MarketingStrategist re-engagement-campaign', () => {
  it('with the offline model, sends each cohort the draft its figures call for, and says so', async () => {
    const { ctx, calls } = context({ 'marketing.segment-audience': segmentation, 'marketing.create-campaign': { campaignId: 'cmp_1', messages: 30 } }, { content: '[offline] digest', offline: true });
    const result = await run('re-engagement-campaign', { scoresDataset: 'churn_scores', minProbability: 0.6 }, ctx);
    expect(calls.map((c) => c.target)).toEqual(['marketing.segment-audience', 'marketing.create-campaign']);
    expect(calls[0]!.params).toMatchObject({ scoresDataset: 'churn_scores', minProbability: 0.6, maxSegments: 3 });
    const templates = calls[1]!.params.templates as Array<{ segment: string; subject: string; body: string }>;
    expect(templates.map((t) => t.segment)).toEqual(['Price-raised', 'Fading']);
    expect(templates[0]!.subject).toContain('better price');
    expect(templates[1]!.body).toContain('{{days_inactive}} days');
    expect(result.templates.map((t: { writtenBy: string }) => t.writtenBy)).toEqual(['draft (offline model)', 'draft (offline model)']);
    expect(calls[1]!.params.name).toMatch(/^Re-engagement \d{4}-\d{2}-\d{2} \(01234567\)$/);
  });

  it('with a language model, uses its subject and body, dropping placeholders the module cannot fill', async () => {
    const { ctx, calls } = context(
      { 'marketing.segment-audience': segmentation, 'marketing.create-campaign': { campaignId: 'cmp_1', messages: 30 } },
      { content: 'Subject: {{first_name}}, come back to {{brand}}\n\nHi {{first_name}}, your {{plan}} plan misses you.', offline: false },
    );
    const result = await run('re-engagement-campaign', {}, ctx);
    const templates = calls[1]!.params.templates as Array<{ subject: string; body: string }>;
    expect(templates[0]).toMatchObject({ subject: '{{first_name}}, come back to', body: 'Hi {{first_name}}, your {{plan}} plan misses you.' });
    expect(result.templates[0].writtenBy).toBe('gpt-test');
  });

  it('keeps the draft when the model answers without a subject line', async () => {
    const { ctx, calls } = context({ 'marketing.segment-audience': segmentation, 'marketing.create-campaign': { campaignId: 'cmp_1', messages: 30 } }, { content: 'Sure! Here is an idea.', offline: false });
    const result = await run('re-engagement-campaign', {}, ctx);
    expect((calls[1]!.params.templates as Array<{ subject: string }>)[0]!.subject).toContain('better price');
    expect(result.templates[0].writtenBy).toBe('draft (gpt-test answer had no subject line)');
  });
});

describe('MarketingStrategist content-strategy', () => {
  const calendar = {
    slots: [
      { slotId: 's1', channel: 'tiktok', week: 1, date: '2026-12-05', at: '2026-12-05T18:00:00.000Z', theme: null },
      { slotId: 's2', channel: 'email', week: 1, date: '2026-12-06', at: '2026-12-06T18:00:00.000Z', theme: null },
      { slotId: 's3', channel: 'tiktok', week: 2, date: '2026-12-12', at: '2026-12-12T18:00:00.000Z', theme: null },
    ],
  };

  it('fills one theme per week and channel from the model’s lines', async () => {
    const { ctx, prompts } = context({ 'marketing.content-calendar': calendar }, { content: 'week 1 · tiktok: Studio tour\nweek 1 · email: Behind the mix\nweek 2 · tiktok: Fan remix', offline: false });
    const result = await run('content-strategy', { goal: 'launch', channels: ['tiktok', 'email'] }, ctx);
    expect(result.calendar.slots.map((s: { theme: string | null }) => s.theme)).toEqual(['Studio tour', 'Behind the mix', 'Fan remix']);
    expect(result.themesBy).toBe('gpt-test (3 of 3 themes)');
    expect(prompts[0]).toContain('week 2 · tiktok');
  });

  it('leaves themes open with the offline model, and says why', async () => {
    const { ctx } = context({ 'marketing.content-calendar': calendar }, { content: '[offline] week 1', offline: true });
    const result = await run('content-strategy', { goal: 'launch', channels: ['tiktok', 'email'] }, ctx);
    expect(result.calendar.slots.every((s: { theme: string | null }) => s.theme === null)).toBe(true);
    expect(result.themesBy).toContain('offline model cannot write');
  });
});

describe('MarketingStrategist schedule-churn-prevention and run-automation', () => {
  it('stores the daily workflow on the DAWG and schedules run-automation for it', async () => {
    const { ctx, calls } = context({ 'automation.create-workflow': { name: 'ChurnPrevention_Dec2026' } }, { content: '', offline: true });
    const result = await run('schedule-churn-prevention', { modelId: 'mdl_01234567-89ab-cdef-0123-456789abcdef', workflow: 'ChurnPrevention_Dec2026' }, ctx);
    const steps = calls[0]!.params.steps as Array<{ key: string; module: string; action: string; params: Record<string, unknown> }>;
    expect(steps.map((s) => `${s.module}.${s.action}`)).toEqual(['analytics.ml-model', 'engagement.score-users', 'marketing.send-due', 'engagement.track']);
    expect(steps[0]!.params).toMatchObject({ kind: 'predict', modelId: 'mdl_01234567-89ab-cdef-0123-456789abcdef', scoreDataset: 'churn_scores' });
    expect(calls[0]!.params).toMatchObject({ name: 'ChurnPrevention_Dec2026', trigger: { cron: '0 9 * * *', timezone: 'UTC' }, replace: true });
    expect(result).toMatchObject({ scheduleId: 'sch_1', nextRunAt: '2026-12-05T09:00:00.000Z', trigger: '0 9 * * * (UTC)' });
  });

  it('keys each run by its task id, so a retried task resumes the same run', async () => {
    const { ctx, calls } = context({ 'automation.run-workflow': { status: 'succeeded' } }, { content: '', offline: true });
    await run('run-automation', { workflow: 'ChurnPrevention_Dec2026' }, ctx);
    expect(calls).toEqual([{ target: 'automation.run-workflow', params: { name: 'ChurnPrevention_Dec2026', runKey: 'tsk_0123456789ab' } }]);
  });
});
