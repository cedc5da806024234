import type { SqlParam } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { outboxParams } from './marketing-schemas';
import type { MarketingActionDeps } from './action-deps';

interface OutboxRow {
  id: string;
  campaign_id: string;
  message_id: string;
  to: string;
  subject: string;
  body: string;
  queued_at: string;
}

/**
 * `outbox`: what the default channel queued, newest first, for the dashboard. Pages by
 * queued_at: pass the answer's nextBefore as `before` for the next page.
 */
export function createOutboxAction(deps: MarketingActionDeps) {
  return defineAction({
    description: 'Messages queued in the local outbox (the default channel), newest first',
    params: outboxParams,
    async handler(p) {
      await deps.tables();
      const where: string[] = [];
      const params: SqlParam[] = [];
      if (p.before) where.push(`queued_at < CAST($${params.push(new Date(p.before))} AS TIMESTAMP)`);
      if (p.campaignId) where.push(`campaign_id = $${params.push(p.campaignId)}`);
      const rows = await deps.store.all<OutboxRow>(
        `SELECT id, campaign_id, message_id, "to", subject, body, queued_at FROM jarvis.outbox
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY queued_at DESC, id DESC LIMIT $${params.push(p.limit + 1)}`,
        params,
      );
      const page = rows.slice(0, p.limit);
      return {
        messages: page.map((r) => ({ id: r.id, campaignId: r.campaign_id, messageId: r.message_id, to: r.to, subject: r.subject, body: r.body, queuedAt: r.queued_at })),
        nextBefore: rows.length > p.limit ? (page.at(-1)?.queued_at ?? null) : null,
      };
    },
  });
}
