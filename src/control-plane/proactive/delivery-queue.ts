import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { processInstanceName } from '../../common/instance';
import type { Logger } from '../../common/logger';
import { SEVERITY_RANK, type Severity } from './adaptive';
import type { Suggestion, SuggestionEvent } from './proactive-engine';

/*
 * What the proactive channels (the webhook, e-mail) share: deliveries queued one after another,
 * off the reading, each retried while what failed may pass, and a log line when deliveries
 * start failing and when they work again, not one per failure.
 */

/** The channels suggestions are sent to besides the dashboard; each keeps its own record of what it sent. */
export type ChannelName = 'webhook' | 'email';

export interface Delivery {
  event: SuggestionEvent;
  suggestion: Suggestion;
  /** About this instance only (its own breaker): the message says which instance. */
  local?: boolean;
}

/** One attempt: delivered, or why not and whether another attempt may pass (after `after` ms, when the receiver said). */
export interface AttemptOutcome {
  ok: boolean;
  status?: number;
  reason: string;
  retry: boolean;
  after?: number;
}

/** What the dispatch needs of a channel. */
export interface Notifier {
  readonly channel: ChannelName;
  wants(severity: Severity): boolean;
  send(delivery: Delivery, onGiveUp: () => Promise<void> | void, onDelivered?: () => Promise<void> | void): void;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** What every channel is configured with. */
export interface ChannelOptions {
  /** Suggestions less severe than this are not sent. */
  minSeverity: Severity;
  /** Attempts per delivery (first included), and the wait before the second (doubling after). */
  attempts?: number;
  backoffMs?: number;
  /** Names the sending control plane in messages (default host:pid). */
  instance?: string;
}

/** How one delivery ended: `attempts` made (0 when stopping first), when, and why it failed. */
export interface DeliveryOutcome {
  channel: ChannelName;
  event: Delivery['event'];
  outcome: 'delivered' | 'failed';
  attempts: number;
  /** The suggestion's id. */
  suggestion: string;
  at: string;
  /** The control plane that sent it (host:pid unless named). */
  instance: string;
  /** Where it went, as a fingerprint (DeliveryQueue.fingerprint). */
  target: string;
  reason?: string;
}

export abstract class DeliveryQueue implements Notifier {
  abstract readonly channel: ChannelName;
  protected readonly stopping = new AbortController();
  private queue: Promise<unknown> = Promise.resolve();
  /** Failing since the last delivery that failed for good: logged when that starts and ends. */
  private failingNow = false;
  private readonly listeners = new Set<(o: DeliveryOutcome) => void>();

  constructor(
    private readonly retry: ChannelOptions,
    protected readonly logger: Logger,
    /** How log lines name the channel ("proactive webhook"). */
    private readonly label: string,
  ) {}

  /** The sending control plane, as messages name it. */
  protected get instance(): string {
    return this.retry.instance ?? processInstanceName();
  }

  /** Where deliveries go, for logs: never a secret (a webhook URL's path, a password). */
  protected abstract target(): string;

  /** Everything that decides where deliveries go, credentials left out (hashed into `fingerprint`, never shown). */
  protected abstract destination(): string;

  /** Where deliveries go, as 16 hex digits of a SHA-256: changes when the destination does, tells nothing of it. */
  get fingerprint(): string {
    return createHash('sha256').update(this.destination()).digest('hex').slice(0, 16);
  }

  /** Prepares one delivery (its body is made once) and returns its attempt, run until it passes or may not. */
  protected abstract prepare(delivery: Delivery): () => Promise<AttemptOutcome>;

  /** Whether the last delivery failed for good (until one arrives). */
  get failing(): boolean {
    return this.failingNow;
  }

  /** Where deliveries go, for people: never a secret (the webhook URL's host, the mail server and recipients). */
  abstract describe(): Record<string, unknown>;

  /** The least severe suggestion it sends. */
  get minSeverity(): Severity {
    return this.retry.minSeverity;
  }

  /** Calls `listener` as each delivery ends (metrics); returns the function that stops it. */
  onDelivery(listener: (o: DeliveryOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a suggestion of this severity is sent at all. */
  wants(severity: Severity): boolean {
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[this.retry.minSeverity];
  }

  /**
   * Queues one delivery; `onGiveUp` runs when every attempt failed (or the notifier stopped
   * first), so the caller can let a later reading send it again; `onDelivered` when it arrived.
   */
  send(delivery: Delivery, onGiveUp: () => Promise<void> | void, onDelivered?: () => Promise<void> | void): void {
    const run = this.queue.then(async () => {
      const delivered = await this.deliver(delivery);
      if (!delivered) await onGiveUp();
      else await onDelivered?.();
    });
    this.queue = run.catch((err: unknown) => this.logger.warn(`${this.label}: giving up failed`, { reason: (err as Error).message }));
  }

  /** Waits for what is queued (tests; shutdown after stop()). */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** Stops retrying: what is still queued gives up at once (its onGiveUp runs). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.queue;
  }

  private async deliver(delivery: Delivery): Promise<boolean> {
    const attempt = this.prepare(delivery);
    const attempts = this.retry.attempts ?? 3;
    let wait = this.retry.backoffMs ?? 1_000;
    let reason = 'stopped before it was sent';
    let made = 0;
    for (let n = 1; n <= attempts && !this.stopping.signal.aborted; n++) {
      made = n;
      const outcome = await attempt();
      if (outcome.ok) {
        if (this.failingNow) this.logger.info(`${this.label} delivers again`, { target: this.target() });
        this.failingNow = false;
        this.ended({ channel: this.channel, event: delivery.event, outcome: 'delivered', attempts: made, suggestion: delivery.suggestion.id, at: new Date().toISOString(), instance: this.instance, target: this.fingerprint });
        return true;
      }
      reason = outcome.reason;
      if (!outcome.retry) break;
      if (n < attempts) {
        await sleep(outcome.after ?? wait, this.stopping.signal);
        wait *= 2;
      }
    }
    if (!this.failingNow) {
      this.logger.warn(`${this.label} delivery failed; a later reading sends it again`, { target: this.target(), event: delivery.event, suggestion: delivery.suggestion.id, reason });
    }
    this.failingNow = true;
    this.ended({ channel: this.channel, event: delivery.event, outcome: 'failed', attempts: made, suggestion: delivery.suggestion.id, at: new Date().toISOString(), instance: this.instance, target: this.fingerprint, reason });
    return false;
  }

  private ended(outcome: DeliveryOutcome): void {
    for (const listener of this.listeners) {
      try {
        listener({ ...outcome });
      } catch (err) {
        this.logger.warn(`${this.label}: a delivery listener failed`, { reason: (err as Error).message });
      }
    }
  }
}

/** Waits `ms`, or less when stopping (resolves either way: the loop then sees the signal). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);
