import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RedisClient } from '../../common/kv';
import type { Logger } from '../../common/logger';
import type { HubMessage } from './hub-events';
import type { HubMessageListener, RealtimeBus } from './realtime-bus';

export interface RedisRealtimeBusOptions {
  /** The shared client: publishes go through it. Subscribing takes a connection of its own (a duplicate). */
  redis: RedisClient;
  /** REDIS_KEY_PREFIX: the pub/sub channel is `<prefix>realtime:events`, so deployments sharing a Redis stay apart. */
  keyPrefix: string;
  logger: Logger;
}

/** Only instances of this deployment publish here; the check keeps a stray publisher from crashing the hub. */
const envelopeSchema = z.object({
  v: z.literal(1),
  origin: z.string(),
  message: z.object({ kind: z.enum(['tasks', 'approvals', 'costs']), event: z.string(), at: z.string() }).loose(),
});

/**
 * Fan-out through Redis pub/sub. A publish is delivered to this instance's hub directly (no
 * round trip, and it survives a Redis outage) and sent to Redis tagged with this instance's id;
 * what comes back with our own id is skipped, so every hub sees every event exactly once.
 * Pub/sub is at-most-once: events published while an instance is disconnected from Redis are
 * not replayed to it (clients re-read state over HTTP after reconnecting).
 */
export class RedisRealtimeBus implements RealtimeBus {
  readonly kind = 'redis' as const;
  readonly channel: string;
  private readonly origin = randomUUID();
  private listener: HubMessageListener | undefined;
  private lastError = '';

  private constructor(
    private readonly options: RedisRealtimeBusOptions,
    private readonly subscriber: RedisClient,
  ) {
    this.channel = `${options.keyPrefix}realtime:events`;
  }

  /** Connects the subscriber and subscribes before answering, so no event published after it is missed. */
  static async open(options: RedisRealtimeBusOptions): Promise<RedisRealtimeBus> {
    const subscriber = options.redis.duplicate();
    subscriber.on('error', (err: Error) => options.logger.warn('redis realtime subscriber error', { reason: err.message }));
    await subscriber.connect();
    const bus = new RedisRealtimeBus(options, subscriber);
    try {
      await subscriber.subscribe(bus.channel, (raw) => bus.receive(raw));
    } catch (err) {
      await subscriber.close().catch(() => undefined);
      throw err;
    }
    return bus;
  }

  publish(message: HubMessage): void {
    this.listener?.(message);
    const payload = JSON.stringify({ v: 1, origin: this.origin, message });
    this.options.redis.publish(this.channel, payload).then(
      () => {
        this.lastError = '';
      },
      (err: unknown) => {
        // Once per distinct failure: an outage would otherwise log every event.
        const reason = (err as Error).message;
        if (reason !== this.lastError) this.options.logger.warn('realtime event not sent to other instances', { reason });
        this.lastError = reason;
      },
    );
  }

  onMessage(listener: HubMessageListener): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = undefined;
    if (this.subscriber.isOpen) await this.subscriber.close().catch(() => undefined);
  }

  private receive(raw: string): void {
    let parsed;
    try {
      parsed = envelopeSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.options.logger.warn('malformed realtime event ignored', { channel: this.channel });
      return;
    }
    if (parsed.data.origin === this.origin) return;
    this.listener?.(parsed.data.message as unknown as HubMessage);
  }
}
