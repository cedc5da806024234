import { z } from 'zod';
import type { Db, Queryable } from '../../common/db';
import type { Severity } from './adaptive';
import type { ChannelName, Notifier } from './delivery-queue';
import type { Suggestion, SuggestionEvent } from './proactive-engine';
import { SEVERITIES } from './signals';

/*
 * Which suggestions this instance sends to a channel (the webhook, e-mail) after a reading, so
 * that several control planes send each raise, severity change and resolve once. Each channel
 * keeps its own record, so one that fails never holds back or repeats another. Shared
 * suggestions are claimed in the database: the channel's column of suggestion_state changes in
 * one statement, under a row lock, so only one instance sees it change. A failed raise or update
 * puts the old value back and a later reading sends it again. A resolve is kept in the channel's
 * pending table in the transaction that deletes its state row (the signal cleared), leased to
 * that reading, and deleted once it arrived: one that fails, or whose process dies before
 * sending it, is sent by a later reading of any instance. An instance's own breaker suggestions
 * are tracked in memory, resolves that failed included.
 */

/** Where each channel keeps what it sent (fixed identifiers, never from input). */
const STORAGE: Record<ChannelName, { column: 'notified_severity' | 'email_notified_severity'; pending: 'webhook_pending_resolves' | 'email_pending_resolves' }> = {
  webhook: { column: 'notified_severity', pending: 'webhook_pending_resolves' },
  email: { column: 'email_notified_severity', pending: 'email_pending_resolves' },
};
export const CHANNEL_NAMES = Object.keys(STORAGE) as ChannelName[];

/** The state columns the reading's DELETE returns, every channel's included. */
export const CLEARED_STATE_COLUMNS = ['suggestion_id', 'raised_at', ...CHANNEL_NAMES.map((c) => STORAGE[c].column)].join(', ');

/** A suggestion state row the reading deleted: its signal cleared. */
export interface ClearedState {
  suggestion_id: string;
  raised_at: Date | string;
  notified_severity: Severity | null;
  email_notified_severity: Severity | null;
}

export class NotificationDispatch {
  /** Breaker suggestions (this instance's own): the severity last sent. */
  private readonly localSent = new Map<string, Severity>();
  /** This instance's own resolves whose delivery failed, to send again. */
  private readonly localUnresolved = new Map<string, Suggestion>();

  private readonly column: string;
  private readonly pending: string;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly isLocal: (id: string) => boolean,
  ) {
    ({ column: this.column, pending: this.pending } = STORAGE[notifier.channel]);
  }

  get channel(): ChannelName {
    return this.notifier.channel;
  }

  /** `cleared`: the resolves this reading kept for this channel (keepResolves), leased to it. */
  async afterReading(active: readonly Suggestion[], resolved: readonly Suggestion[], cleared: readonly Suggestion[]): Promise<void> {
    // Resolves first: a failing claim below cannot hold them back.
    const activeIds = new Set(active.map((s) => s.id));
    for (const [id, s] of this.localUnresolved) {
      this.localUnresolved.delete(id);
      // Raised again meanwhile: the receiver gets that raise instead.
      if (!activeIds.has(id)) this.sendLocalResolve(s);
    }
    for (const s of resolved.filter((x) => this.isLocal(x.id) && this.localSent.has(x.id))) {
      this.localSent.delete(s.id);
      this.sendLocalResolve(s);
    }
    // The due ones are taken before this reading's own are queued: one of those that fails at
    // once is due again at the next reading, never sent twice by this one.
    const taken = await this.takePendingResolves().catch((err: unknown) => ({ err }));
    for (const s of cleared) this.sendPendingResolve(s);
    if ('err' in taken) throw taken.err;
    for (const s of taken) this.sendPendingResolve(s);
    const wanted = active.filter((s) => this.notifier.wants(s.severity));
    for (const s of wanted.filter((x) => this.isLocal(x.id))) {
      const before = this.localSent.get(s.id);
      if (before === s.severity) continue;
      this.localSent.set(s.id, s.severity);
      this.notifier.send({ event: before ? 'suggestion.updated' : 'suggestion.raised', suggestion: s, local: true }, () => {
        if (this.localSent.get(s.id) === s.severity) (before ? this.localSent.set(s.id, before) : this.localSent.delete(s.id));
      });
    }
    await this.claimShared(wanted.filter((s) => !this.isLocal(s.id)));
  }

  private sendLocalResolve(s: Suggestion): void {
    this.notifier.send({ event: 'suggestion.resolved', suggestion: s, local: true }, () => {
      this.localUnresolved.set(s.id, s);
    });
  }

  /** A kept resolve: its row goes once it arrived, and is due again at the next reading if it fails. */
  private sendPendingResolve(s: Suggestion): void {
    this.notifier.send(
      { event: 'suggestion.resolved', suggestion: s },
      async () => void (await this.db.query(`UPDATE ${this.pending} SET failed_at = now() WHERE suggestion_id = $1`, [s.id])),
      async () => void (await this.db.query(`DELETE FROM ${this.pending} WHERE suggestion_id = $1`, [s.id])),
    );
  }

  /**
   * The resolves that failed for good before and are due, leased (one instance each, for
   * PENDING_LEASE) to be sent again, oldest first: a process that dies while sending leaves them
   * to a reading after the lease. One whose suggestion was raised and sent again meanwhile, or
   * that no longer reads as a suggestion, is dropped.
   */
  private async takePendingResolves(): Promise<Suggestion[]> {
    const rows = await this.db.query<{ suggestion_id: string; suggestion: unknown; raised_again: boolean }>(
      `WITH due AS (
         SELECT suggestion_id FROM ${this.pending} WHERE failed_at <= now()
          ORDER BY failed_at, suggestion_id LIMIT 100 FOR UPDATE SKIP LOCKED),
       leased AS (
         UPDATE ${this.pending} p SET failed_at = now() + make_interval(secs => $1)
           FROM due WHERE p.suggestion_id = due.suggestion_id
         RETURNING p.suggestion_id, p.suggestion)
       SELECT l.suggestion_id, l.suggestion,
              EXISTS (SELECT 1 FROM suggestion_state s WHERE s.suggestion_id = l.suggestion_id AND s.${this.column} IS NOT NULL) AS raised_again
         FROM leased l ORDER BY l.suggestion_id`,
      [PENDING_LEASE_MS / 1000],
    );
    // Written by an instance of this or an earlier version: sent only if it still reads as a suggestion.
    const dropped = rows.filter((r) => r.raised_again || !storedSuggestionSchema.safeParse(r.suggestion).success).map((r) => r.suggestion_id);
    if (dropped.length) await this.db.query(`DELETE FROM ${this.pending} WHERE suggestion_id = ANY($1::text[])`, [dropped]);
    return rows.filter((r) => !dropped.includes(r.suggestion_id)).map((r) => r.suggestion as Suggestion);
  }

  private async claimShared(wanted: readonly Suggestion[]): Promise<void> {
    if (!wanted.length) return;
    const byId = new Map(wanted.map((s) => [s.id, s]));
    const rows = await this.db.query<{ suggestion_id: string; before: Severity | null }>(
      // Rows locked in id order, as every instance locks them: two readings never deadlock.
      `WITH old AS (SELECT suggestion_id, ${this.column} AS sent FROM suggestion_state WHERE suggestion_id = ANY($1::text[]) ORDER BY suggestion_id FOR UPDATE)
       UPDATE suggestion_state s SET ${this.column} = v.severity
         FROM unnest($1::text[], $2::text[]) AS v(id, severity) JOIN old ON old.suggestion_id = v.id
        WHERE s.suggestion_id = v.id AND old.sent IS DISTINCT FROM v.severity
       RETURNING s.suggestion_id, old.sent AS before`,
      [[...byId.keys()], [...byId.values()].map((s) => s.severity)],
    );
    for (const { suggestion_id: id, before } of rows) {
      const s = byId.get(id)!;
      const event: SuggestionEvent = before ? 'suggestion.updated' : 'suggestion.raised';
      this.notifier.send({ event, suggestion: s }, async () => {
        await this.db.query(`UPDATE suggestion_state SET ${this.column} = $3 WHERE suggestion_id = $1 AND ${this.column} = $2`, [id, s.severity, before]).catch(() => undefined);
      });
    }
  }
}

/** How long a pending resolve taken by a reading is left to it before another may take it. */
const PENDING_LEASE_MS = 10 * 60_000;

/** What a pending resolve must hold to be sent (the rest is passed through as stored). */
const storedSuggestionSchema = z.looseObject({ id: z.string().min(1), kind: z.string().min(1), severity: z.enum(SEVERITIES), title: z.string(), raisedAt: z.string() });

/**
 * In the transaction that deleted these state rows: keeps, for each channel, the resolve of
 * each suggestion that channel was told about, leased to this reading (PENDING_LEASE), and
 * returns them to be sent. What this instance had active is kept as it was; the others as the
 * row says (raised before this instance started).
 */
export async function keepResolves(tx: Queryable, states: readonly ClearedState[], resolved: readonly Suggestion[]): Promise<Record<ChannelName, Suggestion[]>> {
  const resolvedById = new Map(resolved.map((s) => [s.id, s]));
  const kept = {} as Record<ChannelName, Suggestion[]>;
  for (const channel of CHANNEL_NAMES) {
    const { column, pending } = STORAGE[channel];
    kept[channel] = states.filter((row) => row[column]).map((row) => resolvedById.get(row.suggestion_id) ?? stub(row, row[column]!));
    if (!kept[channel].length) continue;
    await tx.query(
      `INSERT INTO ${pending} (suggestion_id, suggestion, failed_at)
       SELECT e->>'id', e, now() + make_interval(secs => $2) FROM json_array_elements($1::json) AS e
       ON CONFLICT (suggestion_id) DO UPDATE SET suggestion = EXCLUDED.suggestion, failed_at = EXCLUDED.failed_at`,
      [JSON.stringify(kept[channel]), PENDING_LEASE_MS / 1000],
    );
  }
  return kept;
}

/** A resolved suggestion this instance never had active: what its state row holds. */
function stub(row: ClearedState, severity: Severity): Suggestion {
  const id = row.suggestion_id;
  const kind = id.slice(0, id.indexOf(':')) as Suggestion['kind'];
  return { id, kind, severity, title: id, message: 'The signal cleared.', action: 'Nothing to do.', signal: {}, raisedAt: new Date(row.raised_at).toISOString(), updatedAt: new Date().toISOString() };
}
