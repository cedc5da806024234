import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { capability, type CapabilityContext } from '../types';
import { runAutomation, scheduleChurnPrevention } from './automation-workflows';
import { reEngagementCampaign } from './re-engagement';

const goal = z.string().min(1).max(1000).describe('What the marketing should achieve, in plain words');
const channel = z.enum(['instagram', 'tiktok', 'youtube', 'x', 'facebook', 'email', 'spotify']);

const campaignOptimization = capability({
  name: 'campaign-optimization',
  description: 'Optimize marketing campaigns using ML',
  requiredModules: ['marketing', 'analytics'],
  estimatedDuration: 60,
  timeoutMs: 120_000,
  // The optimiser may move budget and bids on a live campaign: spending money is not repeated silently.
  resumable: false,
  payload: z
    .object({
      campaignId: z.string().min(1).max(200),
      objective: z.enum(['awareness', 'engagement', 'conversions', 'streams']).default('engagement'),
      /** Omitted: keep the campaign's current budget. */
      dailyBudgetUsd: z.number().positive().max(100_000).optional(),
    })
    .strict(),
  async run(p, ctx) {
    const optimization = await ctx.call('marketing', 'optimize-campaign', {
      campaignId: p.campaignId,
      objective: p.objective,
      ...(p.dailyBudgetUsd === undefined ? {} : { dailyBudgetUsd: p.dailyBudgetUsd }),
    });
    return { campaignId: p.campaignId, optimization };
  },
});

/**
 * Two independent reads over the same window: the marketing module's segments and the
 * engagement module's per-user scores, returned side by side so a caller can rank the segments.
 */
const audienceTargeting = capability({
  name: 'audience-targeting',
  description: 'Generate targeted audience segments',
  requiredModules: ['marketing', 'engagement'],
  estimatedDuration: 45,
  timeoutMs: 90_000,
  resumable: true,
  payload: z
    .object({
      goal,
      maxSegments: z.number().int().min(1).max(20).default(5),
      lookbackDays: z.number().int().min(1).max(365).default(30),
    })
    .strict(),
  async run(p, ctx) {
    ctx.signal.throwIfAborted();
    const segments = await ctx.call('marketing', 'segment-audience', {
      goal: p.goal,
      maxSegments: p.maxSegments,
      lookbackDays: p.lookbackDays,
    });
    ctx.progress(50, 'Audience segmented');
    ctx.signal.throwIfAborted();
    const engagement = await ctx.call('engagement', 'score-users', { lookbackDays: p.lookbackDays });
    ctx.progress(100, 'Users scored');
    return { goal: p.goal, segments, engagement };
  },
});

interface CalendarSlot {
  slotId: string;
  channel: string;
  week: number;
  date: string;
  at: string;
  theme: string | null;
}

/**
 * One theme per week and channel, written by the AI router. The offline provider cannot write
 * (its answer is a digest of the prompt), so with it the themes stay open (null) and the
 * answer says so rather than passing the digest off as a plan.
 */
async function writeThemes(ctx: CapabilityContext, goal: string, slots: CalendarSlot[]): Promise<{ slots: CalendarSlot[]; themesBy: string }> {
  const keys = [...new Set(slots.map((s) => `week ${s.week} · ${s.channel}`))];
  const answer = await ctx.ai({
    taskType: 'creative',
    messages: [
      { role: 'system', content: 'You plan social media content. Answer with exactly one line per item, in the order given, formatted "<item>: <theme>". No other text.' },
      { role: 'user', content: `Goal: ${goal}\nWrite a short post theme for each item:\n${keys.join('\n')}` },
    ],
    temperature: 0.7,
    maxOutputTokens: 60 * keys.length,
  });
  if (answer.offline) return { slots, themesBy: 'none: the offline model cannot write themes (configure a language model)' };
  const themes = new Map<string, string>();
  for (const line of answer.content.split('\n')) {
    const match = /^\s*(week \d+ · [a-z]+)\s*:\s*(.+)$/i.exec(line);
    if (match) themes.set(match[1]!.toLowerCase(), match[2]!.trim().slice(0, 300));
  }
  return {
    slots: slots.map((s) => ({ ...s, theme: themes.get(`week ${s.week} · ${s.channel}`) ?? null })),
    themesBy: `${answer.model} (${themes.size} of ${keys.length} themes)`,
  };
}

/** Produces a plan; nothing is published, so it is safe to resume. */
const contentStrategy = capability({
  name: 'content-strategy',
  description: 'Generate content calendar and strategy',
  requiredModules: ['marketing'],
  estimatedDuration: 90,
  timeoutMs: 180_000,
  resumable: true,
  payload: z
    .object({
      goal,
      channels: z.array(channel).min(1).max(7),
      /** Omitted: the DAWG starts the calendar tomorrow. */
      startDate: z.iso.date().optional(),
      weeks: z.number().int().min(1).max(12).default(4),
      postsPerWeek: z.number().int().min(1).max(21).default(3),
    })
    .strict(),
  async run(p, ctx) {
    const calendar = (await ctx.call('marketing', 'content-calendar', {
      goal: p.goal,
      channels: p.channels,
      ...(p.startDate === undefined ? {} : { startDate: p.startDate }),
      weeks: p.weeks,
      postsPerWeek: p.postsPerWeek,
    })) as { slots: CalendarSlot[] } & Record<string, unknown>;
    ctx.progress(60, 'Calendar planned at the audience’s active hours');
    const themed = await writeThemes(ctx, p.goal, calendar.slots);
    return { goal: p.goal, calendar: { ...calendar, slots: themed.slots }, themesBy: themed.themesBy };
  },
});

/** MarketingStrategist's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const MARKETING_STRATEGIST_CAPABILITIES = [campaignOptimization, audienceTargeting, contentStrategy, reEngagementCampaign, scheduleChurnPrevention, runAutomation] as const;

/** Campaigns, audiences and content plans through the DAWG's marketing and engagement modules. */
export function createMarketingStrategistAgent(): BaseAgent {
  return new BaseAgent('MarketingStrategist', 'Optimises campaigns, targets audiences and plans content', [...MARKETING_STRATEGIST_CAPABILITIES]);
}
