import { z } from 'zod';
import { datasetName } from '../../../dawg/action-schemas';
import { capability, type CapabilityContext } from '../types';

/**
 * MarketingStrategist's re-engagement campaign (blueprint §5 scenario 2): the at-risk users,
 * segmented into cohorts by the marketing module, one personalised e-mail template per cohort,
 * sent at each user's best hour through the outbox channel.
 *
 * Templates: each cohort gets a draft built from its measured profile (what drives its churn),
 * which the AI router is asked to polish. The offline provider cannot write copy (its answer is
 * a digest of the prompt), so with it the draft is used as it stands; the answer says which.
 */

const dataset = datasetName;
const ALLOWED_PLACEHOLDERS = new Set(['first_name', 'plan', 'days_inactive']);

export const reEngagementPayload = z.strictObject({
  name: z.string().trim().min(1).max(200).optional().describe('Campaign name; omitted: "Re-engagement <date> (<task>)"'),
  goal: z.string().min(1).max(1000).default('Win back users at risk of churning'),
  usersDataset: dataset.default('churn_users'),
  activityDataset: dataset.default('churn_activity'),
  scoresDataset: dataset.default('churn_scores').describe('Churn scores (user_id, probability) from the DataScientist'),
  minProbability: z.number().gt(0).lt(1).default(0.5),
  maxSegments: z.number().int().min(1).max(10).default(3),
  startDate: z.iso.date().optional().describe('First send day; omitted: tomorrow'),
});

interface Segment {
  name: string;
  rule?: string;
  size: number;
  means?: Record<string, number | null | undefined>;
}

/** What the cohort's own figures say to lead with. */
function draftFor(segment: Segment): { subject: string; body: string } {
  const m = segment.means ?? {};
  const priceShare = Number(m.price_increased ?? m.priceIncreasedShare ?? 0);
  const competitorShare = Number(m.competitor_offer ?? m.competitorOfferShare ?? 0);
  const lines = ['Hi {{first_name}},', ''];
  let subject = '{{first_name}}, we saved your place';
  if (priceShare >= 0.5) {
    subject = '{{first_name}}, a better price for your {{plan}} plan';
    lines.push('We know your {{plan}} plan costs more than it used to. For the next three months we are taking the increase back, no action needed.');
  } else if (competitorShare >= 0.5) {
    subject = '{{first_name}}, what you would miss elsewhere';
    lines.push('Other services are making offers. Before you decide: your playlists, history and recommendations are here, and tuned to you.');
  } else {
    lines.push('It has been {{days_inactive}} days since your last visit. New releases picked for you are waiting, and everything you saved is where you left it.');
  }
  lines.push('', 'Come back any time; one click takes you straight in.', '', 'The Jarvis team');
  return { subject, body: lines.join('\n') };
}

/** Keeps only the placeholders the marketing module fills. */
function cleanPlaceholders(text: string): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => (ALLOWED_PLACEHOLDERS.has(name) ? `{{${name}}}` : ''));
}

async function writeTemplate(ctx: CapabilityContext, goal: string, segment: Segment) {
  const draft = draftFor(segment);
  const answer = await ctx.ai({
    taskType: 'creative',
    messages: [
      { role: 'system', content: 'You write short, honest re-engagement e-mails. Keep the placeholders {{first_name}}, {{plan}} and {{days_inactive}} exactly as written. Answer as "Subject: …" on the first line, then the body.' },
      { role: 'user', content: `Goal: ${goal}\nCohort: ${segment.name} (${segment.size} users; ${segment.rule ?? 'no rule given'})\nImprove this e-mail:\nSubject: ${draft.subject}\n\n${draft.body}` },
    ],
    temperature: 0.4,
    maxOutputTokens: 400,
  });
  if (answer.offline) return { segment: segment.name, ...draft, writtenBy: 'draft (offline model)', model: answer.model };
  const match = /^\s*Subject:\s*(.+)\n+([\s\S]+)$/i.exec(answer.content);
  if (!match) return { segment: segment.name, ...draft, writtenBy: `draft (${answer.model} answer had no subject line)`, model: answer.model };
  const subject = cleanPlaceholders(match[1]!).trim().slice(0, 200);
  const body = cleanPlaceholders(match[2]!).trim().slice(0, 5_000);
  if (!subject || !body) return { segment: segment.name, ...draft, writtenBy: `draft (${answer.model} answer was empty once cleaned)`, model: answer.model };
  return { segment: segment.name, subject, body, writtenBy: answer.model, model: answer.model };
}

export const reEngagementCampaign = capability({
  name: 're-engagement-campaign',
  description: 'Segment at-risk users into cohorts and schedule a personalised re-engagement campaign',
  requiredModules: ['marketing', 'engagement'],
  estimatedDuration: 60,
  timeoutMs: 300_000,
  // Creates a campaign and its messages: never repeated silently after a crash.
  resumable: false,
  payload: reEngagementPayload,
  async run(p, ctx) {
    ctx.progress(10, 'Segmenting the at-risk audience');
    const segmentation = (await ctx.call('marketing', 'segment-audience', {
      goal: p.goal,
      usersDataset: p.usersDataset,
      activityDataset: p.activityDataset,
      scoresDataset: p.scoresDataset,
      minProbability: p.minProbability,
      maxSegments: p.maxSegments,
    })) as { segmentationId: string; audience: number; segments: Segment[] };
    ctx.progress(35, `Writing templates for ${segmentation.segments.length} cohorts`);
    const templates = [];
    for (const segment of segmentation.segments) {
      ctx.signal.throwIfAborted();
      templates.push(await writeTemplate(ctx, p.goal, segment));
    }
    ctx.progress(70, 'Scheduling messages at each user’s best hour');
    const name = p.name ?? `Re-engagement ${new Date().toISOString().slice(0, 10)} (${ctx.taskId.slice(4, 12)})`;
    const campaign = (await ctx.call('marketing', 'create-campaign', {
      name,
      segmentationId: segmentation.segmentationId,
      templates: templates.map((t) => ({ segment: t.segment, subject: t.subject, body: t.body })),
      sendTime: 'optimal',
      ...(p.startDate ? { startDate: p.startDate } : {}),
    })) as { campaignId: string; messages: number; firstSendAt?: string; lastSendAt?: string };
    return {
      campaignId: campaign.campaignId,
      name,
      audience: segmentation.audience,
      segmentationId: segmentation.segmentationId,
      cohorts: segmentation.segments,
      templates,
      messages: campaign.messages,
      firstSendAt: campaign.firstSendAt,
      lastSendAt: campaign.lastSendAt,
      summary: [
        `Segmented ${segmentation.audience.toLocaleString('en-US')} at-risk users into ${segmentation.segments.length} cohorts`,
        `Personalised e-mail templates created (${templates.map((t) => t.writtenBy).filter((v, i, a) => a.indexOf(v) === i).join(', ')})`,
        `${campaign.messages.toLocaleString('en-US')} messages scheduled at each user’s best send hour`,
      ],
    };
  },
});
