import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../../common/errors';
import type { AnalyticsStore, SqlParam } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { sendDueParams } from './marketing-schemas';
import type { MessageChannel, OutgoingMessage } from './message-channel';
import type { MarketingActionDeps } from './action-deps';
import { settleSending } from './marketing-tables';

export interface SendDueDeps extends MarketingActionDeps {
  /** The channel a campaign names, or undefined when this process has none of that name. */
  channel(name: string): MessageChannel | undefined;
}

interface Claimed {
  id: string;
  campaign_id: string;
  user_id: string;
  to: string;
  subject: string;
  body: string;
  send_at: string;
  channel: string;
}

const MAX_ERROR = 1_000;

/**
 * Moves due messages from 'scheduled' to 'sending' under a fresh claim id in one transaction.
 * The store runs one transaction at a time, so a second send-due claims only what the first
 * left: every message is handed to a channel at most once.
 */
async function claim(store: AnalyticsStore, claimId: string, now: Date, limit: number, campaignId: string | undefined): Promise<Claimed[]> {
  return store.transaction(async (tx) => {
    const params: SqlParam[] = [claimId, now, limit, ...(campaignId ? [campaignId] : [])];
    await tx.run(
      `UPDATE jarvis.campaign_messages SET status = 'sending', claim_id = $1
       WHERE id IN (SELECT id FROM jarvis.campaign_messages WHERE status = 'scheduled' AND send_at <= CAST($2 AS TIMESTAMP)
                    ${campaignId ? 'AND campaign_id = $4' : ''} ORDER BY send_at, id LIMIT $3)`,
      params,
    );
    return tx.all<Claimed>(
      `SELECT m.id, m.campaign_id, m.user_id, m."to", m.subject, m.body, m.send_at, c.channel
       FROM jarvis.campaign_messages m JOIN jarvis.campaigns c ON c.id = m.campaign_id
       WHERE m.claim_id = $1 AND m.status = 'sending' ORDER BY m.send_at, m.id`,
      [claimId],
    );
  });
}

async function deliver(deps: SendDueDeps, m: Claimed, claimId: string, now: Date): Promise<boolean> {
  const msg: OutgoingMessage = { messageId: m.id, campaignId: m.campaign_id, userId: m.user_id, to: m.to, subject: m.subject, body: m.body };
  try {
    const channel = deps.channel(m.channel);
    if (!channel) throw new Error(`channel "${m.channel}" is not configured in this process`);
    // Recorded before the hand-over: should the process die now, recovery knows it may have gone out.
    await deps.store.run('UPDATE jarvis.campaign_messages SET handed_at = $3 WHERE id = $1 AND claim_id = $2', [m.id, claimId, now]);
    const { providerId } = await channel.send(msg);
    await deps.store.run(`UPDATE jarvis.campaign_messages SET status = 'sent', sent_at = $3, provider_id = $4 WHERE id = $1 AND claim_id = $2`, [m.id, claimId, now, providerId]);
    return true;
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR);
    await deps.store.run(`UPDATE jarvis.campaign_messages SET status = 'failed', error = $3 WHERE id = $1 AND claim_id = $2`, [m.id, claimId, error]);
    return false;
  }
}

/** A campaign with nothing left to send is completed; one partly sent is sending. */
async function updateCampaignStatus(store: AnalyticsStore, campaignIds: readonly string[]): Promise<void> {
  for (const id of campaignIds) {
    await store.run(
      `UPDATE jarvis.campaigns SET status = CASE WHEN EXISTS (SELECT 1 FROM jarvis.campaign_messages
         WHERE campaign_id = $1 AND status IN ('scheduled', 'sending')) THEN 'sending' ELSE 'completed' END WHERE id = $1`,
      [id],
    );
  }
}

/** `send-due`: hands due scheduled messages to their campaign's channel, each exactly once. */
export function createSendDueAction(deps: SendDueDeps) {
  return defineAction({
    description: 'Send the campaign messages that are due (send_at ≤ now) through their channel (default: the local outbox) and mark each sent or failed',
    params: sendDueParams,
    async handler(p, ctx) {
      await deps.tables();
      if (p.campaignId && !(await deps.store.all('SELECT 1 FROM jarvis.campaigns WHERE id = $1', [p.campaignId])).length) {
        throw new NotFoundError(`params.campaignId: no campaign ${p.campaignId}`, { field: 'params.campaignId' }, 'CAMPAIGN_NOT_FOUND');
      }
      const now = p.now ? new Date(p.now) : deps.now();
      const claimId = randomUUID();
      const claimed = await claim(deps.store, claimId, now, p.limit, p.campaignId);
      let sent = 0;
      let failed = 0;
      for (const m of claimed) {
        // Stopped callers leave the rest for the next run rather than stranding them as 'sending'.
        if (ctx.signal.aborted) break;
        if (await deliver(deps, m, claimId, now)) sent += 1;
        else failed += 1;
      }
      // What this run left 'sending' (a stop, or a status write that failed).
      await settleSending(deps.store, claimId);
      await updateCampaignStatus(deps.store, [...new Set(claimed.map((m) => m.campaign_id))]);
      const scope = p.campaignId ? 'AND campaign_id = $2' : '';
      const [left] = await deps.store.all<{ remaining: number; upcoming: number }>(
        `SELECT count(*) FILTER (WHERE send_at <= CAST($1 AS TIMESTAMP)) AS remaining, count(*) FILTER (WHERE send_at > CAST($1 AS TIMESTAMP)) AS upcoming
         FROM jarvis.campaign_messages WHERE status = 'scheduled' ${scope}`,
        [now, ...(p.campaignId ? [p.campaignId] : [])],
      );
      return { now: now.toISOString(), sent, failed, remaining: left?.remaining ?? 0, upcoming: left?.upcoming ?? 0 };
    },
  });
}
