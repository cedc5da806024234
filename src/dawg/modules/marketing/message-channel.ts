import { randomUUID } from 'node:crypto';
import type { AnalyticsStore } from '../analytics/analytics-store';

/** A rendered campaign message on its way out. */
export interface OutgoingMessage {
  messageId: string;
  campaignId: string;
  userId: string;
  to: string;
  subject: string;
  body: string;
}

/**
 * Where campaign messages go: the built-in outbox, or an e-mail/push provider adapter given
 * to the module. `send` resolves once the provider accepted the message; a throw marks the
 * message failed with the error's message.
 */
export interface MessageChannel {
  readonly name: string;
  send(msg: OutgoingMessage): Promise<{ providerId: string }>;
}

/**
 * The default channel: a row in jarvis.outbox that the dashboard shows; nothing leaves the
 * machine. The outbox row's id is the provider id.
 */
export function createOutboxChannel(store: Pick<AnalyticsStore, 'run'>, now: () => Date): MessageChannel {
  return {
    name: 'outbox',
    async send(msg) {
      const id = `obx_${randomUUID()}`;
      await store.run('INSERT INTO jarvis.outbox VALUES ($1, $2, $3, $4, $5, $6, $7)', [id, msg.campaignId, msg.messageId, msg.to, msg.subject, msg.body, now()]);
      return { providerId: id };
    },
  };
}
