import type { Db } from '../../common/db';
import { SEVERITIES, type Severity } from './signals';

/*
 * The adaptive engine (blueprint §1.1): learns from what each key does with the suggestions it
 * is shown. Every dismissal is kept for a window (suggestion_feedback); a key that dismissed the
 * same subject `muteAfter` times within it is not pushed that subject any more: it is still
 * listed (with `muted`), and pushed again when it comes back more severe than anything the key
 * dismissed, once the dismissals age out of the window, or when the key forgets them.
 */

export type { Severity };

export interface AdaptiveOptions {
  /** Dismissals of one subject within the window that mute it for the key; 0 turns learning off. */
  muteAfter: number;
  windowMs: number;
}

/** What a key's dismissals of one subject (a suggestion id) within the window add up to. */
export interface SubjectFeedback {
  id: string;
  dismissals: number;
  lastDismissedAt: string;
  /** The most severe level the key dismissed it at. */
  mostSevere: Severity;
  /** Whether it is muted for the key (at that level and below). */
  muted: boolean;
}

/** Severities from least to most severe. */
export const SEVERITY_RANK = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<Severity, number>;
const RANK_SQL = "max(CASE severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END)";
const IN_WINDOW = 'dismissed_at >= now() - make_interval(secs => $2)';

interface Row {
  suggestion_id: string;
  key_id: string;
  n: number;
  top: number;
  last: Date | string;
}

export class AdaptiveFeedback {
  constructor(
    private readonly db: Db,
    private readonly options: AdaptiveOptions,
  ) {}

  get enabled(): boolean {
    return this.options.muteAfter > 0;
  }

  get settings(): AdaptiveOptions {
    return { ...this.options };
  }

  /** Whether a subject dismissed `dismissals` times, at most at `mostSevere`, is muted at `severity`. */
  mutes(f: Pick<SubjectFeedback, 'dismissals' | 'mostSevere'>, severity: Severity): boolean {
    return this.enabled && f.dismissals >= this.options.muteAfter && SEVERITY_RANK[severity] <= SEVERITY_RANK[f.mostSevere];
  }

  /** Records one dismissal (the caller makes sure it is the key's first while the signal lasts). */
  async learn(id: string, keyId: string, severity: Severity): Promise<void> {
    if (!this.enabled) return;
    await this.db.query('INSERT INTO suggestion_feedback (key_id, suggestion_id, severity) VALUES ($1, $2, $3)', [keyId, id, severity]);
  }

  /**
   * The shared dismissal and, when it is new and learning is on, its feedback row, in one
   * statement: a dismissal repeated (through another instance too) is learned once.
   */
  async dismissShared(id: string, keyId: string, severity: Severity): Promise<void> {
    if (!this.enabled) {
      await this.db.query('INSERT INTO suggestion_dismissals (suggestion_id, key_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, keyId]);
      return;
    }
    await this.db.query(
      `WITH d AS (INSERT INTO suggestion_dismissals (suggestion_id, key_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING suggestion_id, key_id)
       INSERT INTO suggestion_feedback (key_id, suggestion_id, severity) SELECT key_id, suggestion_id, $3 FROM d`,
      [id, keyId, severity],
    );
  }

  /** Deletes the dismissals that aged out of the window. */
  async prune(): Promise<void> {
    if (!this.enabled) return;
    await this.db.query('DELETE FROM suggestion_feedback WHERE dismissed_at < now() - make_interval(secs => $1)', [this.options.windowMs / 1000]);
  }

  /** For each of these suggestions (id → its severity now), the keys it is muted for. */
  async mutedKeys(active: ReadonlyMap<string, Severity>): Promise<Map<string, Set<string>>> {
    const muted = new Map<string, Set<string>>();
    if (!this.enabled || !active.size) return muted;
    const rows = await this.db.query<Row>(
      `SELECT suggestion_id, key_id, count(*)::int AS n, ${RANK_SQL} AS top, max(dismissed_at) AS last
         FROM suggestion_feedback WHERE suggestion_id = ANY($1::text[]) AND ${IN_WINDOW}
        GROUP BY suggestion_id, key_id HAVING count(*) >= $3`,
      [[...active.keys()], this.options.windowMs / 1000, this.options.muteAfter],
    );
    for (const r of rows) {
      if (!this.mutes(feedbackOf(r, false), active.get(r.suggestion_id)!)) continue;
      const keys = muted.get(r.suggestion_id) ?? new Set<string>();
      muted.set(r.suggestion_id, keys.add(r.key_id));
    }
    return muted;
  }

  /** Everything learned about one key within the window (optionally only these subjects), most dismissed first. */
  async forKey(keyId: string, ids?: readonly string[]): Promise<SubjectFeedback[]> {
    if (!this.enabled) return [];
    const rows = await this.db.query<Row>(
      `SELECT suggestion_id, key_id, count(*)::int AS n, ${RANK_SQL} AS top, max(dismissed_at) AS last
         FROM suggestion_feedback WHERE key_id = $1 AND ${IN_WINDOW} ${ids ? 'AND suggestion_id = ANY($3::text[])' : ''}
        GROUP BY suggestion_id, key_id ORDER BY n DESC, last DESC, suggestion_id`,
      ids ? [keyId, this.options.windowMs / 1000, ids] : [keyId, this.options.windowMs / 1000],
    );
    return rows.map((r) => feedbackOf(r, r.n >= this.options.muteAfter));
  }

  /** Forgets a key's dismissals of one subject; how many there were. */
  async forget(keyId: string, id: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      'WITH d AS (DELETE FROM suggestion_feedback WHERE key_id = $1 AND suggestion_id = $2 RETURNING 1) SELECT count(*)::int AS n FROM d',
      [keyId, id],
    );
    return rows[0]!.n;
  }
}

function feedbackOf(r: Row, muted: boolean): SubjectFeedback {
  return { id: r.suggestion_id, dismissals: r.n, lastDismissedAt: new Date(r.last).toISOString(), mostSevere: SEVERITIES[Number(r.top)]!, muted };
}
