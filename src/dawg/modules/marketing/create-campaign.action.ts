import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import type { AnalyticsStore, SqlParam } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { loadRecipients, sendInstants, type Recipient } from './campaign-audience';
import { readingDatasets, tomorrow } from './datasets';
import { createCampaignParams, type CreateCampaignParams } from './marketing-schemas';
import { compileTemplate, type CompiledTemplate } from './message-template';
import type { MarketingActionDeps } from './action-deps';
import { requireSegmentation } from './send-times.action';

type Tx = Pick<AnalyticsStore, 'all' | 'run'>;

export interface CreateCampaignDeps extends MarketingActionDeps {
  /** Channel names a campaign may use ('outbox' is always one). */
  channelNames: () => string[];
}

interface Rendered {
  id: string;
  userId: string;
  segment: string;
  to: string;
  subject: string;
  body: string;
  sendAt: Date;
}

const INSERT_CHUNK = 200;

/** Which template each segment uses; a 400 on the template that names no segment, or on a segment left without one. */
function templateIndexBySegment(p: CreateCampaignParams, segments: readonly string[]): Map<string, number> {
  const known = new Set(segments);
  p.templates.forEach((t, i) => {
    if (t.segment !== 'default' && !known.has(t.segment)) {
      throw fieldError(`params.templates.${i}.segment`, `"${t.segment}" is not a segment of ${p.segmentationId}; segments: ${segments.join(', ')} (or "default")`);
    }
  });
  const fallback = p.templates.findIndex((t) => t.segment === 'default');
  const chosen = new Map<string, number>();
  for (const s of segments) {
    const own = p.templates.findIndex((t) => t.segment === s);
    if (own < 0 && fallback < 0) throw fieldError('params.templates', `segment "${s}" has no template and there is no "default" template`);
    chosen.set(s, own >= 0 ? own : fallback);
  }
  return chosen;
}

function compile(p: CreateCampaignParams, i: number): { subject: CompiledTemplate; body: CompiledTemplate } {
  const t = p.templates[i]!;
  return { subject: compileTemplate(t.subject, `params.templates.${i}.subject`, t.segment), body: compileTemplate(t.body, `params.templates.${i}.body`, t.segment) };
}

async function insertMessages(tx: Tx, campaignId: string, rows: readonly Rendered[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const chunk = rows.slice(start, start + INSERT_CHUNK);
    const values = chunk.map((_, k) => `(${Array.from({ length: 8 }, (_, c) => `$${k * 8 + c + 1}`).join(', ')}, 'scheduled')`);
    const params: SqlParam[] = chunk.flatMap((r) => [r.id, campaignId, r.userId, r.segment, r.to, r.subject, r.body, r.sendAt]);
    await tx.run(`INSERT INTO jarvis.campaign_messages (id, campaign_id, user_id, segment, "to", subject, body, send_at, status) VALUES ${values.join(', ')}`, params);
  }
}

/**
 * Renders and writes one segment's messages. Templates compile here, inside the transaction,
 * segment by segment: a bad template aborts the whole campaign, earlier segments included.
 */
async function writeSegment(tx: Tx, campaignId: string, recipients: readonly Recipient[], template: ReturnType<typeof compile>, at: Map<string, Date>) {
  const rows = recipients.map((r): Rendered => {
    const values = { first_name: r.first_name ?? '', plan: r.plan ?? '', days_inactive: r.recency_days === null ? '' : String(r.recency_days) };
    return { id: `msg_${randomUUID()}`, userId: r.user_id, segment: r.segment, to: r.email!, subject: template.subject.render(values), body: template.body.render(values), sendAt: at.get(r.user_id)! };
  });
  await insertMessages(tx, campaignId, rows);
  return rows;
}

/** One message from each of the first segments, so a reviewer sees every template at work. */
function sampleOf(bySegment: readonly Rendered[][]): Rendered[] {
  const sample: Rendered[] = [];
  for (let k = 0; sample.length < 3 && bySegment.some((rows) => rows.length > k); k++) {
    for (const rows of bySegment) if (rows[k] && sample.length < 3) sample.push(rows[k]!);
  }
  return sample;
}

async function checkStart(p: CreateCampaignParams, deps: CreateCampaignDeps): Promise<string> {
  if (p.channel !== 'outbox' && !deps.channelNames().includes(p.channel)) {
    throw fieldError('params.channel', `no channel "${p.channel}"; channels: ${['outbox', ...deps.channelNames()].join(', ')}`);
  }
  const today = deps.now().toISOString().slice(0, 10);
  const startDate = p.startDate ?? tomorrow(deps.now());
  if (startDate < today) throw fieldError('params.startDate', `must not be before today (${today})`);
  return startDate;
}

/** `create-campaign`: one personalised message per mailable member, scheduled, written in one transaction. */
export function createCreateCampaignAction(deps: CreateCampaignDeps) {
  return defineAction({
    description: 'Create a campaign over a segmentation: render each segment’s template per member and schedule the messages (status scheduled)',
    params: createCampaignParams,
    handler(p) {
      return readingDatasets(['params.segmentationId'], async () => {
        await deps.tables();
        const startDate = await checkStart(p, deps);
        const seg = await requireSegmentation(deps.store, p.segmentationId, 'params.segmentationId');
        const segments = (await deps.store.all<{ name: string }>('SELECT name FROM jarvis.segments WHERE segmentation_id = $1 ORDER BY position', [seg.id])).map((s) => s.name);
        const templateOf = templateIndexBySegment(p, segments);
        const recipients = await loadRecipients(deps.store, seg);
        const mailable = recipients.filter((r) => r.email && !r.unsubscribed);
        const at = await sendInstants(deps.store, seg, mailable, startDate, p.sendTime);
        const id = `cmp_${randomUUID()}`;
        const written = await deps.store.transaction(async (tx) => {
          if ((await tx.all('SELECT 1 FROM jarvis.campaigns WHERE name = $1', [p.name])).length) {
            throw new ConflictError(`params.name: a campaign named "${p.name}" exists`, { field: 'params.name' });
          }
          await tx.run('INSERT INTO jarvis.campaigns VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)', [id, p.name, seg.id, p.channel, 'scheduled', p.sendTime, startDate, deps.now()]);
          const bySegment: Rendered[][] = [];
          for (const s of segments) bySegment.push(await writeSegment(tx, id, mailable.filter((r) => r.segment === s), compile(p, templateOf.get(s)!), at));
          // Templates no segment used are checked too: a typo should not wait for the next campaign.
          p.templates.forEach((_, i) => compile(p, i));
          return bySegment;
        });
        const all = written.flat().map((r) => r.sendAt.getTime());
        const first = all.reduce((a, b) => Math.min(a, b), Infinity);
        const last = all.reduce((a, b) => Math.max(a, b), -Infinity);
        return {
          campaignId: id,
          name: p.name,
          status: 'scheduled' as const,
          channel: p.channel,
          startDate,
          sendTime: p.sendTime,
          messages: all.length,
          skipped: { noEmail: recipients.filter((r) => !r.email).length, unsubscribed: recipients.filter((r) => r.email && r.unsubscribed).length },
          segments: segments.map((name, i) => ({ name, messages: written[i]!.length })),
          firstSendAt: all.length ? new Date(first).toISOString() : null,
          lastSendAt: all.length ? new Date(last).toISOString() : null,
          sample: sampleOf(written).map((r) => ({ messageId: r.id, userId: r.userId, segment: r.segment, to: r.to, subject: r.subject, body: r.body, sendAt: r.sendAt.toISOString() })),
        };
      });
    },
  });
}
