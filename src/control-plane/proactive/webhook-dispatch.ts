import type { Db } from '../../common/db';
import type { Severity } from './adaptive';
import type { Suggestion, SuggestionEvent } from './proactive-engine';
import type { WebhookNotifier } from './webhook';

/*
 * Which suggestions this instance sends to the webhook after a reading, so that several
 * control planes send each raise, severity change and resolve once. Shared suggestions are
 * claimed in the database: suggestion_state.notified_severity changes in one statement, under a
 * row lock, so only one instance sees it change; the instance whose reading deletes a state
 * row (the signal cleared) sends the resolve. A failed delivery puts the old value back and a
 * later reading sends it again. An instance's own breaker suggestions are tracked in memory.
 */

/** A suggestion state row the reading deleted: its signal cleared. */
export interface ClearedState {
  suggestion_id: string;
  notified_severity: Severity | null;
  raised_at: Date | string;
}

export class WebhookDispatch {
  /** Breaker suggestions (this instance's own): the severity last sent. */
  private readonly localSent = new Map<string, Severity>();

  constructor(
    private readonly db: Db,
    private readonly notifier: WebhookNotifier,
    private readonly isLocal: (id: string) => boolean,
  ) {}

  async afterReading(active: readonly Suggestion[], resolved: readonly Suggestion[], cleared: readonly ClearedState[]): Promise<void> {
    // Resolves first: they need no statement, so a failing claim below cannot lose them.
    const resolvedById = new Map(resolved.map((s) => [s.id, s]));
    for (const s of resolved.filter((x) => this.isLocal(x.id) && this.localSent.has(x.id))) {
      this.localSent.delete(s.id);
      this.notifier.send({ event: 'suggestion.resolved', suggestion: s, local: true }, () => undefined);
    }
    for (const row of cleared) {
      if (!row.notified_severity) continue;
      // Known when this instance had it active; else what the row says (it was raised before this instance started).
      const s = resolvedById.get(row.suggestion_id) ?? stub(row);
      this.notifier.send({ event: 'suggestion.resolved', suggestion: s }, () => undefined);
    }
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

  private async claimShared(wanted: readonly Suggestion[]): Promise<void> {
    if (!wanted.length) return;
    const byId = new Map(wanted.map((s) => [s.id, s]));
    const rows = await this.db.query<{ suggestion_id: string; before: Severity | null }>(
      // Rows locked in id order, as every instance locks them: two readings never deadlock.
      `WITH old AS (SELECT suggestion_id, notified_severity FROM suggestion_state WHERE suggestion_id = ANY($1::text[]) ORDER BY suggestion_id FOR UPDATE)
       UPDATE suggestion_state s SET notified_severity = v.severity
         FROM unnest($1::text[], $2::text[]) AS v(id, severity) JOIN old ON old.suggestion_id = v.id
        WHERE s.suggestion_id = v.id AND old.notified_severity IS DISTINCT FROM v.severity
       RETURNING s.suggestion_id, old.notified_severity AS before`,
      [[...byId.keys()], [...byId.values()].map((s) => s.severity)],
    );
    for (const { suggestion_id: id, before } of rows) {
      const s = byId.get(id)!;
      const event: SuggestionEvent = before ? 'suggestion.updated' : 'suggestion.raised';
      this.notifier.send({ event, suggestion: s }, async () => {
        await this.db.query('UPDATE suggestion_state SET notified_severity = $3 WHERE suggestion_id = $1 AND notified_severity = $2', [id, s.severity, before]).catch(() => undefined);
      });
    }
  }
}

/** A resolved suggestion this instance never had active: what its state row holds. */
function stub(row: ClearedState): Suggestion {
  const id = row.suggestion_id;
  const kind = id.slice(0, id.indexOf(':')) as Suggestion['kind'];
  return { id, kind, severity: row.notified_severity!, title: id, message: 'The signal cleared.', action: 'Nothing to do.', signal: {}, raisedAt: new Date(row.raised_at).toISOString(), updatedAt: new Date().toISOString() };
}
