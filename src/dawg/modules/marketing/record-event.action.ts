import { ConflictError, NotFoundError } from '../../../common/errors';
import { defineAction } from '../../sdk';
import { recordEventParams } from './marketing-schemas';
import type { MarketingActionDeps } from './action-deps';

/**
 * `record-event`: an open, click or unsubscribe of a sent message (from a tracking pixel,
 * link redirect or the provider's webhook). Webhooks retry, so recording the same
 * (message, type) again changes nothing and says so.
 */
export function createRecordEventAction(deps: MarketingActionDeps) {
  return defineAction({
    description: 'Record an open, click or unsubscribe of a sent campaign message (idempotent per message and type)',
    params: recordEventParams,
    async handler(p) {
      await deps.tables();
      const [message] = await deps.store.all<{ campaign_id: string; status: string }>('SELECT campaign_id, status FROM jarvis.campaign_messages WHERE id = $1', [p.messageId]);
      if (!message) throw new NotFoundError(`params.messageId: no campaign message ${p.messageId}`, { field: 'params.messageId' }, 'MESSAGE_NOT_FOUND');
      if (message.status !== 'sent') {
        throw new ConflictError(`params.messageId: message ${p.messageId} is ${message.status}, not sent; only sent messages are opened or clicked`, { field: 'params.messageId', status: message.status });
      }
      const at = p.at ? new Date(p.at) : deps.now();
      const inserted = await deps.store.all(
        'INSERT INTO jarvis.message_events VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING message_id',
        [p.messageId, message.campaign_id, p.type, at],
      );
      const [stored] = await deps.store.all<{ at: string }>('SELECT "at" FROM jarvis.message_events WHERE message_id = $1 AND type = $2', [p.messageId, p.type]);
      return { messageId: p.messageId, campaignId: message.campaign_id, type: p.type, recorded: inserted.length === 1, at: stored?.at ?? at.toISOString() };
    },
  });
}
