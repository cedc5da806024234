import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { capability } from '../types';
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
      /** Omitted: the DAWG starts the calendar today. */
      startDate: z.iso.date().optional(),
      weeks: z.number().int().min(1).max(12).default(4),
      postsPerWeek: z.number().int().min(1).max(21).default(3),
    })
    .strict(),
  async run(p, ctx) {
    const calendar = await ctx.call('marketing', 'content-calendar', {
      goal: p.goal,
      channels: p.channels,
      ...(p.startDate === undefined ? {} : { startDate: p.startDate }),
      weeks: p.weeks,
      postsPerWeek: p.postsPerWeek,
    });
    return { goal: p.goal, calendar };
  },
});

/** MarketingStrategist's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const MARKETING_STRATEGIST_CAPABILITIES = [campaignOptimization, audienceTargeting, contentStrategy, reEngagementCampaign, scheduleChurnPrevention, runAutomation] as const;

/** Campaigns, audiences and content plans through the DAWG's marketing and engagement modules. */
export function createMarketingStrategistAgent(): BaseAgent {
  return new BaseAgent('MarketingStrategist', 'Optimises campaigns, targets audiences and plans content', [...MARKETING_STRATEGIST_CAPABILITIES]);
}
