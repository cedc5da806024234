import type { Db } from '../../common/db';
import { GroupCommit } from '../../common/group-commit';
import type { RedisClient } from '../../common/kv';
import type { Logger } from '../../common/logger';
import { appendToChain } from './audit-chain';
import { AuditMirror } from './audit-mirror';
import { prepareEntry, type PreparedEntry } from './audit-sanitize';
import { pruneChain, queryEntries } from './audit-store';
import type { AuditBreak, AuditEntry, AuditEntryInput, AuditFilter, AuditMirrorCheck, AuditPage, AuditPruneResult, AuditStats, AuditVerifyResult } from './audit-types';
import { latestCheckpoint, verifyChain } from './audit-verifier';
import { compareWithWitnesses } from './audit-witness';
import type { AuditWitnessFile } from './audit-witness-file';

export interface AuditLogOptions {
  db: Db;
  logger: Logger;
  /** With a client, every written entry is also added to the Redis stream `<keyPrefix>audit`. */
  redis?: RedisClient;
  keyPrefix: string;
  clock?: () => Date;
  /** Records (fire-and-forget) waiting to be written before new ones are dropped. Default 10 000. */
  maxBuffered?: number;
  /** Entries written per transaction at most. Default 500. */
  maxBatch?: number;
  /** How many of the newest mirrored entries verify compares with the database. Default 1 000. */
  mirrorVerifyCount?: number;
  /** AUDIT_WITNESS_FILE: the chain's head appended to a file outside the database (audit-witness-file.ts). */
  witness?: AuditWitnessFile;
}

const DAY_MS = 86_400_000;
/** The same failure is logged at most this often; the counts say how many there were. */
const WARN_EVERY_MS = 10_000;

/** A value the database refused (class 22, data exception): only that entry should fail, not its batch. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * The append-only, hash-chained audit log (blueprint §4.4). Entries are written in batches
 * (group commit): `append` resolves once its entry is committed, `record` returns at once.
 *
 * `record`'s buffer is bounded: past `maxBuffered` waiting records, new ones are dropped,
 * counted and logged, and once the backlog has drained an `audit.dropped` entry states how
 * many were lost, so the gap is in the log itself. Dropping the newest rather than the
 * oldest keeps what was accepted in the order it was accepted, and blocking is no option
 * for callers that cannot wait (the request path). `append` is not bounded: its callers
 * await it, which is their back-pressure.
 */
export class AuditLog {
  private readonly db: Db;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly mirror?: AuditMirror;
  private readonly witness?: AuditWitnessFile;
  private readonly writer: GroupCommit<PreparedEntry, AuditEntry>;
  private readonly maxBuffered: number;
  private readonly mirrorVerifyCount: number;
  private readonly mirrorWrites = new Set<Promise<void>>();
  private readonly lastWarned = new Map<string, number>();
  private buffered = 0;
  private dropped = 0;
  private droppedUnreported = 0;
  private failed = 0;
  private closed = false;

  constructor(options: AuditLogOptions) {
    this.db = options.db;
    this.logger = options.logger;
    this.clock = options.clock ?? (() => new Date());
    this.maxBuffered = options.maxBuffered ?? 10_000;
    if (!(this.maxBuffered >= 1)) throw new RangeError('maxBuffered must be at least 1');
    this.mirrorVerifyCount = options.mirrorVerifyCount ?? 1_000;
    if (!Number.isInteger(this.mirrorVerifyCount) || this.mirrorVerifyCount < 1) throw new RangeError('mirrorVerifyCount must be a positive integer');
    if (options.redis) this.mirror = new AuditMirror(options.redis, options.keyPrefix, this.clock);
    this.witness = options.witness;
    this.writer = new GroupCommit((items) => this.write(items), { maxBatch: options.maxBatch ?? 500, splitOnError: isDataError });
  }

  /** Writes one entry; resolves once it is committed. For what must be on record before it happens (a command run). */
  async append(entry: AuditEntryInput): Promise<AuditEntry> {
    if (this.closed) throw new Error('The audit log is closed');
    return this.writer.submit(prepareEntry(entry, this.clock()));
  }

  /** Queues one entry and returns at once; never throws. For hot paths (API requests, authentication failures). */
  record(entry: AuditEntryInput): void {
    if (this.closed || this.buffered >= this.maxBuffered) return this.drop(this.closed ? 'closed' : 'full');
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(entry, this.clock());
    } catch (err) {
      return this.warn('invalid', 'audit entry refused', { reason: (err as Error).message });
    }
    this.buffered += 1;
    this.writer.submit(prepared).then(
      () => this.settled(),
      (err: unknown) => {
        this.failed += 1;
        this.settled();
        this.warn('write', 'audit entries could not be written', { reason: (err as Error).message, failed: this.failed });
      },
    );
  }

  /** Resolves once everything handed over so far is written (or has failed) and mirrored. */
  async flush(): Promise<void> {
    do {
      await this.writer.idle();
      await Promise.all([...this.mirrorWrites]);
    } while (this.buffered > 0 || this.mirrorWrites.size > 0);
  }

  /** Refuses new entries and writes what is buffered. The database and Redis belong to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.witness?.flush();
  }

  query(filter: AuditFilter): Promise<AuditPage> {
    return queryEntries(this.db, filter);
  }

  /**
   * Recomputes the chain from the latest checkpoint and names the first entry that fails;
   * with Redis (and with a witness file), then checks that the database still holds the
   * copies' newest entries as copied, which shows what the chain cannot: its newest entries cut
   * off, or its tail rewritten and rehashed.
   */
  async verify(): Promise<AuditVerifyResult> {
    const chain = await this.verifyChain();
    if (!chain.ok) return chain;
    let result: AuditVerifyResult = chain;
    const broken = (found: AuditBreak | undefined) => (found && result.ok ? { ok: false, firstBroken: found } : {});
    if (this.mirror) {
      const { check, broken: found } = await this.checkCopy(this.mirror, 'the Redis mirror');
      result = { ...result, ...broken(found), mirror: check };
    }
    if (this.witness) {
      const { file } = this.witness;
      const { check, broken: found } = await this.checkCopy(this.witness, `the witness file ${file}`);
      result = { ...result, ...broken(found), witness: { file, ...check } };
    }
    return result;
  }

  private async verifyChain(): Promise<AuditVerifyResult> {
    const result = await verifyChain(this.db);
    if (result.ok) return result;
    // A prune that committed while the chain was being read moved its start: read it once more.
    const checkpoint = await latestCheckpoint(this.db);
    return checkpoint?.seq === result.checkpoint?.seq ? result : verifyChain(this.db);
  }

  /** Compares a copy kept outside the database (the Redis mirror, the witness file) with it; one that cannot be read is said, not a break. */
  private async checkCopy(copy: Pick<AuditMirror, 'newest'>, source: string): Promise<{ check: AuditMirrorCheck; broken?: AuditBreak }> {
    let newest: Awaited<ReturnType<AuditMirror['newest']>>;
    try {
      // Before the database: every entry copied by then was committed before it was copied.
      newest = await copy.newest(this.mirrorVerifyCount);
    } catch (err) {
      return { check: { compared: 0, unavailable: (err as Error).message } };
    }
    const { compared, broken } = await compareWithWitnesses(this.db, newest.entries, source);
    const check: AuditMirrorCheck = newest.malformed ? { compared, malformed: newest.malformed } : { compared };
    return broken ? { check, broken } : { check };
  }

  /** Deletes entries older than `olderThanDays`, keeping the rest verifiable through a checkpoint. */
  async prune(options: { olderThanDays: number }): Promise<AuditPruneResult> {
    if (!(options.olderThanDays > 0)) throw new RangeError('olderThanDays must be positive');
    const now = this.clock();
    const outcome = await pruneChain(this.db, new Date(now.getTime() - options.olderThanDays * DAY_MS), now);
    if (outcome.entry) {
      this.mirrorEntries([outcome.entry]);
      this.witness?.note([outcome.entry]);
    }
    if (outcome.pruned) this.logger.info('audit log pruned', { pruned: outcome.pruned, checkpointSeq: outcome.checkpoint?.seq });
    return { pruned: outcome.pruned, checkpoint: outcome.checkpoint };
  }

  stats(): AuditStats {
    return { buffered: this.buffered, dropped: this.dropped, failed: this.failed };
  }

  private async write(items: PreparedEntry[]): Promise<AuditEntry[]> {
    const entries = await this.db.transaction((tx) => appendToChain(tx, this.db.schema, items));
    this.mirrorEntries(entries);
    this.witness?.note(entries);
    return entries;
  }

  private mirrorEntries(entries: AuditEntry[]): void {
    if (!this.mirror) return;
    const write: Promise<void> = this.mirror
      .write(entries)
      .catch((err: unknown) => this.warn('mirror', 'audit entries could not be mirrored to Redis', { reason: (err as Error).message }))
      .finally(() => this.mirrorWrites.delete(write));
    this.mirrorWrites.add(write);
  }

  private drop(why: 'closed' | 'full'): void {
    this.dropped += 1;
    this.droppedUnreported += 1;
    this.warn(`drop-${why}`, why === 'full' ? 'audit buffer full: entries dropped' : 'audit log closed: entries dropped', {
      dropped: this.dropped,
      maxBuffered: this.maxBuffered,
    });
  }

  /** Once the backlog is half drained, the loss goes on record. */
  private settled(): void {
    this.buffered -= 1;
    if (!this.droppedUnreported || this.closed || this.buffered > this.maxBuffered / 2) return;
    const count = this.droppedUnreported;
    this.droppedUnreported = 0;
    this.writer
      .submit(prepareEntry({ type: 'audit.dropped', actor: 'system', outcome: 'dropped', details: { count, maxBuffered: this.maxBuffered } }, this.clock()))
      .catch((err: unknown) => this.warn('write', 'audit entries could not be written', { reason: (err as Error).message }));
  }

  private warn(kind: string, message: string, meta: Record<string, unknown>): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(kind) ?? -Infinity) < WARN_EVERY_MS) return;
    this.lastWarned.set(kind, now);
    this.logger.warn(message, meta);
  }
}
