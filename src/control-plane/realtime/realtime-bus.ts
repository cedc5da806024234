import type { HubMessage } from './hub-events';

export type HubMessageListener = (message: HubMessage) => void;

/**
 * How events reach every control-plane instance's hub, each exactly once. In-process when
 * REDIS_URL is unset; a Redis stream when it is set, so a client connected to instance A sees
 * what happened on instance B.
 */
export interface RealtimeBus {
  readonly kind: 'memory' | 'redis';
  /** Delivers to this instance's listener at once and, with Redis, to every other instance. Never throws. */
  publish(message: HubMessage): void;
  /** The one listener: the hub of this instance. */
  onMessage(listener: HubMessageListener): void;
  close(): Promise<void>;
}

/** One instance: publishing is delivering. */
export class MemoryRealtimeBus implements RealtimeBus {
  readonly kind = 'memory' as const;
  private listener: HubMessageListener | undefined;

  publish(message: HubMessage): void {
    this.listener?.(message);
  }

  onMessage(listener: HubMessageListener): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = undefined;
  }
}
