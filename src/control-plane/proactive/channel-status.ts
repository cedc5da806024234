import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import type { ChannelName, Delivery, DeliveryOutcome } from './delivery-queue';

/*
 * What each proactive channel did, as every control plane on this database recorded it
 * (notification_channel_status), kept across restarts. Whichever instance claimed a suggestion
 * sends it, so one instance's memory cannot tell whether a channel is failing: each delivery that
 * ended is added here, and the newest outcome (by the sending instance's clock) decides
 * `failing`. The record is about one target (a fingerprint of where the channel sends): a
 * delivery elsewhere starts it afresh, and an instance sending elsewhere does not show it.
 * Writes go one after another, off the delivery; one that fails is logged (once until they work
 * again) and leaves the record behind by that delivery.
 */

/** A channel's record across instances: since `since` (null: nothing recorded yet). */
export interface SharedChannelActivity {
  /** Whether the newest delivery failed for good (until one arrives). */
  failing: boolean;
  delivered: number;
  failed: number;
  lastDeliveredAt: string | null;
  lastFailure: { at: string; event: Delivery['event']; suggestion: string; reason: string; instance: string } | null;
  since: string | null;
}

interface Row {
  channel: ChannelName;
  target: string;
  delivered: string | number;
  failed: string | number;
  failing: boolean;
  last_delivered_at: Date | string | null;
  last_failure: { at: string; event: string; suggestion: string; reason: string; instance: string } | null;
  since: Date | string;
}

const NOTHING_YET: SharedChannelActivity = { failing: false, delivered: 0, failed: 0, lastDeliveredAt: null, lastFailure: null, since: null };
const iso = (d: Date | string) => new Date(d).toISOString();

export class ChannelStatusStore {
  private queue: Promise<void> = Promise.resolve();
  /** Whether the last write failed: logged when that starts and when writes work again. */
  private failingToRecord = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Adds one delivery's outcome (queued; see idle()). */
  record(o: DeliveryOutcome): void {
    this.queue = this.queue.then(
      () =>
        this.write(o).then(
          () => {
            if (this.failingToRecord) this.logger.info('proactive channels: their status is recorded again');
            this.failingToRecord = false;
          },
          (err: unknown) => {
            if (!this.failingToRecord) this.logger.warn('proactive channels: a delivery could not be recorded; GET /api/v1/suggestions/channels misses it', { channel: o.channel, reason: (err as Error).message });
            this.failingToRecord = true;
          },
        ),
    );
  }

  /** Waits for the writes queued so far. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Every channel's record with the target it is about, this instance's queued writes included. */
  async read(): Promise<Map<ChannelName, SharedChannelActivity & { target: string }>> {
    await this.idle();
    const rows = await this.db.query<Row>('SELECT channel, target, delivered, failed, failing, last_delivered_at, last_failure, since FROM notification_channel_status');
    return new Map(
      rows.map((r) => [
        r.channel,
        {
          target: r.target,
          failing: r.failing,
          delivered: Number(r.delivered),
          failed: Number(r.failed),
          lastDeliveredAt: r.last_delivered_at === null ? null : iso(r.last_delivered_at),
          lastFailure: r.last_failure && { at: r.last_failure.at, event: r.last_failure.event as Delivery['event'], suggestion: r.last_failure.suggestion, reason: r.last_failure.reason, instance: r.last_failure.instance },
          since: iso(r.since),
        },
      ]),
    );
  }

  /**
   * One channel's record for the target this instance sends to (its fingerprint), or what it is
   * before anything was sent there: a record about another target (the configuration changed)
   * says nothing about this one.
   */
  static of(records: Map<ChannelName, SharedChannelActivity & { target: string }>, channel: ChannelName, target: string): SharedChannelActivity {
    const record = records.get(channel);
    if (!record || record.target !== target) return { ...NOTHING_YET };
    const { target: _target, ...activity } = record;
    return activity;
  }

  private async write(o: DeliveryOutcome): Promise<void> {
    const failed = o.outcome === 'failed';
    const failure = failed ? JSON.stringify({ at: o.at, event: o.event, suggestion: o.suggestion, reason: o.reason ?? 'failed', instance: o.instance }) : null;
    // A delivery to another target (the configuration changed) starts the record afresh.
    await this.db.query('DELETE FROM notification_channel_status WHERE channel = $1 AND target <> $2', [o.channel, o.target]);
    await this.db.query(
      `INSERT INTO notification_channel_status AS s (channel, delivered, failed, failing, last_outcome_at, last_delivered_at, last_failure, target)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $4::boolean THEN NULL ELSE $5::timestamptz END, $6::jsonb, $7)
       ON CONFLICT (channel) DO UPDATE SET
         delivered = s.delivered + EXCLUDED.delivered,
         failed = s.failed + EXCLUDED.failed,
         failing = CASE WHEN EXCLUDED.last_outcome_at >= s.last_outcome_at THEN EXCLUDED.failing ELSE s.failing END,
         last_outcome_at = GREATEST(s.last_outcome_at, EXCLUDED.last_outcome_at),
         last_delivered_at = GREATEST(s.last_delivered_at, EXCLUDED.last_delivered_at),
         last_failure = CASE
           WHEN EXCLUDED.last_failure IS NULL THEN s.last_failure
           WHEN s.last_failure IS NULL OR (EXCLUDED.last_failure->>'at')::timestamptz >= (s.last_failure->>'at')::timestamptz THEN EXCLUDED.last_failure
           ELSE s.last_failure END`,
      [o.channel, failed ? 0 : 1, failed ? 1 : 0, failed, o.at, failure, o.target],
    );
  }
}
