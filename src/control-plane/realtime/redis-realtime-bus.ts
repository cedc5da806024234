import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { RedisClient } from '../../common/kv';
import type { Logger } from '../../common/logger';
import type { HubMessage } from './hub-events';
import type { HubMessageListener, RealtimeBus } from './realtime-bus';

export interface RedisRealtimeBusOptions {
  /** The shared client: publishes go through it. Reading takes a connection of its own (a duplicate: XREAD blocks it). */
  redis: RedisClient;
  /** REDIS_KEY_PREFIX: the stream is `<prefix>realtime:stream`, so deployments sharing a Redis stay apart. */
  keyPrefix: string;
  logger: Logger;
  /** Entries the stream keeps (approximately): how long an instance may be cut off and still read all it missed. */
  maxLength?: number;
  /** Events kept in memory while Redis refuses them, sent once it is back. */
  maxPending?: number;
}

/** Only instances of this deployment write here; the check keeps a stray writer from crashing the hub. */
const envelopeSchema = z.object({
  v: z.literal(1),
  origin: z.string(),
  message: z.object({ kind: z.enum(['tasks', 'approvals', 'costs']), event: z.string(), at: z.string() }).loose(),
});

/** XREAD's RESP2 answer: [[key, [[id, [field, value, …]], …]]], or null when BLOCK ran out. */
const xreadReply = z.array(z.tuple([z.string(), z.array(z.tuple([z.string(), z.array(z.string())]))])).nullable();

const DEFAULT_MAX_LENGTH = 50_000;
const DEFAULT_MAX_PENDING = 10_000;
/** How long one XREAD waits for entries before asking again (and how soon close() is noticed without destroy). */
const BLOCK_MS = 5_000;
const BATCH = 500;

/**
 * Fan-out through a Redis stream. A publish is delivered to this instance's hub directly (no
 * round trip, and it survives a Redis outage) and appended to the stream tagged with this
 * instance's id; every instance reads the stream from the last entry it read, skipping its own,
 * so every hub sees every event exactly once, in the stream's order. An instance cut off from
 * Redis reads what it missed when it is back (as far as the stream still holds it: about
 * `maxLength` entries; it logs when entries it never read were trimmed), and events it could
 * not append meanwhile are kept in memory (up to `maxPending`) and appended when Redis is back.
 */
export class RedisRealtimeBus implements RealtimeBus {
  readonly kind = 'redis' as const;
  readonly stream: string;
  private readonly origin = randomUUID();
  private listener: HubMessageListener | undefined;
  private closed = false;
  private reading: Promise<void> | undefined;
  /** Events Redis refused, oldest first; while any wait, new ones queue behind them (order is kept). */
  private readonly pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private outage = '';

  private constructor(
    private readonly options: RedisRealtimeBusOptions,
    private readonly reader: RedisClient,
    private lastId: string,
  ) {
    this.stream = `${options.keyPrefix}realtime:stream`;
  }

  /** Connects the reader and notes the stream's newest entry before answering, so no event appended after it is missed. */
  static async open(options: RedisRealtimeBusOptions): Promise<RedisRealtimeBus> {
    // Named, so an operator (and a test) can tell it in CLIENT LIST: one per instance, blocked in XREAD.
    const reader = options.redis.duplicate({ name: `jarvis-realtime-reader:${options.keyPrefix.replace(/[^A-Za-z0-9:_.-]/g, '_')}` });
    reader.on('error', (err: Error) => options.logger.warn('redis realtime reader error', { reason: err.message }));
    await reader.connect();
    try {
      const newest = (await reader.sendCommand(['XREVRANGE', `${options.keyPrefix}realtime:stream`, '+', '-', 'COUNT', '1'])) as Array<[string, string[]]>;
      const bus = new RedisRealtimeBus(options, reader, newest[0]?.[0] ?? '0-0');
      bus.reading = bus.readLoop();
      return bus;
    } catch (err) {
      reader.destroy();
      throw err;
    }
  }

  publish(message: HubMessage): void {
    this.listener?.(message);
    const payload = JSON.stringify({ v: 1, origin: this.origin, message });
    if (this.pending.length) return this.keep(payload);
    this.append(payload).catch((err: unknown) => {
      this.noteOutage(err);
      this.keep(payload);
    });
  }

  onMessage(listener: HubMessageListener): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    this.listener = undefined;
    if (this.closed) return;
    this.closed = true;
    // The reader is blocked in XREAD: destroyed, not quit.
    if (this.reader.isOpen) this.reader.destroy();
    await this.reading;
    if (this.pending.length) this.options.logger.warn('realtime events not sent to other instances: closing while Redis refused them', { events: this.pending.length });
  }

  private xadd(payload: string): string[] {
    return ['XADD', this.stream, 'MAXLEN', '~', String(this.options.maxLength ?? DEFAULT_MAX_LENGTH), '*', 'e', payload];
  }

  private async append(payload: string): Promise<void> {
    await this.options.redis.sendCommand(this.xadd(payload));
  }

  /** Appends kept events in one transaction: all of them, in order, or none. */
  private async appendAll(payloads: readonly string[]): Promise<void> {
    const multi = this.options.redis.multi();
    for (const p of payloads) multi.addCommand(this.xadd(p));
    await multi.exec();
  }

  private keep(payload: string): void {
    this.pending.push(payload);
    if (this.pending.length > (this.options.maxPending ?? DEFAULT_MAX_PENDING)) {
      this.pending.shift();
      this.dropped++;
    }
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  /** Sends what Redis refused, oldest first, retrying every second until it takes them. */
  private async flush(): Promise<void> {
    while (this.pending.length && !this.closed) {
      const batch = this.pending.slice(0, BATCH);
      try {
        await this.appendAll(batch);
        this.pending.splice(0, batch.length);
        if (!this.pending.length) {
          this.options.logger.info('realtime events reach other instances again', { ...(this.dropped ? { dropped: this.dropped } : {}) });
          this.outage = '';
          this.dropped = 0;
        }
      } catch (err) {
        this.noteOutage(err);
        await delay(1_000, undefined, { ref: false });
      }
    }
  }

  /** Logs once per distinct failure: an outage would otherwise log every event. */
  private noteOutage(err: unknown): void {
    const reason = (err as Error).message;
    if (reason !== this.outage) this.options.logger.warn('realtime events kept until Redis takes them again', { reason });
    this.outage = reason;
  }

  private async readLoop(): Promise<void> {
    let failing = false;
    for (let wait = 250; !this.closed; ) {
      try {
        if (failing) await this.checkTrimmed();
        const reply = xreadReply.parse(await this.reader.sendCommand(['XREAD', 'COUNT', String(BATCH), 'BLOCK', String(BLOCK_MS), 'STREAMS', this.stream, this.lastId]));
        if (failing) this.options.logger.info('realtime reader back: events missed meanwhile were read from the stream');
        failing = false;
        wait = 250;
        for (const [, entries] of reply ?? []) for (const [id, fields] of entries) this.receive(id, fields);
      } catch (err) {
        if (this.closed) return;
        if (!failing) this.options.logger.warn('realtime reader cut off from Redis; it reads what it missed when Redis is back', { reason: (err as Error).message });
        failing = true;
        await delay(wait, undefined, { ref: false });
        wait = Math.min(wait * 2, 2_000);
      }
    }
  }

  /**
   * After an outage: has the stream been trimmed past the last entry this instance read? Then
   * entries it never read may have gone with it (trimming takes the oldest first).
   */
  private async checkTrimmed(): Promise<void> {
    if (this.lastId === '0-0') return;
    const info = (await this.reader.sendCommand(['XINFO', 'STREAM', this.stream])) as unknown[];
    const first = info[info.indexOf('first-entry') + 1];
    const firstId = Array.isArray(first) ? String(first[0]) : undefined;
    if (firstId && compareIds(firstId, this.lastId) > 0) {
      this.options.logger.warn('the realtime stream was trimmed past the last event this instance read while it was cut off: its clients may have missed some (they re-read state over HTTP when they reconnect)', { lastRead: this.lastId, oldestKept: firstId });
    }
  }

  private receive(id: string, fields: readonly string[]): void {
    this.lastId = id;
    const raw = fields[fields.indexOf('e') + 1];
    let parsed;
    try {
      parsed = raw === undefined ? undefined : envelopeSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.options.logger.warn('malformed realtime event ignored', { stream: this.stream, id });
      return;
    }
    if (parsed.data.origin === this.origin) return;
    this.listener?.(parsed.data.message as unknown as HubMessage);
  }
}

/** Orders stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bs = 0n] = b.split('-').map((x) => BigInt(x));
  return am === bm ? (as === bs ? 0 : as > bs ? 1 : -1) : am > bm ? 1 : -1;
}
