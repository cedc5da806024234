import { isDeepStrictEqual } from 'node:util';
import { NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { Principal } from '../auth';
import { AdaptiveFeedback, SEVERITY_RANK, type AdaptiveOptions, type Severity } from './adaptive';
import { isQuiet, type QuietHours } from './quiet-hours';
import { collectFindings, type Finding, type Reading, type SignalSources, type SignalThresholds, type SuggestionKind } from './signals';
import type { ChannelName } from './delivery-queue';
import type { EmailNotifier } from './email';
import { ChannelStatusStore, type SharedChannelActivity } from './channel-status';
import { CLEARED_STATE_COLUMNS, keepResolves, NotificationDispatch, type ClearedState } from './notification-dispatch';
import type { WebhookNotifier } from './webhook';

export interface Suggestion extends Omit<Finding, 'audience' | 'key' | 'material'> {
  /** Stable while its signal lasts (the finding's key). */
  id: string;
  raisedAt: string;
  updatedAt: string;
}

/** A suggestion as one key lists it: `muted` when the adaptive engine no longer pushes it to that key. */
export interface ListedSuggestion extends Suggestion {
  muted?: { dismissals: number; lastDismissedAt: string };
}

export type SuggestionEvent = 'suggestion.raised' | 'suggestion.updated' | 'suggestion.resolved';

/** A channel as GET /api/v1/suggestions/channels shows it. */
export type ChannelStatus =
  | ({ channel: ChannelName; configured: true; minSeverity: Severity } & SharedChannelActivity & Record<string, unknown>)
  | { channel: ChannelName; configured: false; howTo: string };

/** Where pushes go (the WebSocket hub): each event with who may see it. */
export type SuggestionSink = (event: SuggestionEvent, suggestion: Suggestion, visibleTo: (principal: Principal) => boolean) => void;

export interface ProactiveOptions {
  sources: SignalSources;
  thresholds: SignalThresholds;
  quietHours?: QuietHours;
  /** The adaptive engine's learning from dismissals; off when absent. */
  adaptive?: AdaptiveOptions;
  /** Sends suggestions to PROACTIVE_WEBHOOK_URL; none when absent. */
  webhook?: WebhookNotifier;
  /** Sends suggestions by e-mail to PROACTIVE_EMAIL_TO; none when absent. */
  email?: EmailNotifier;
  logger: Logger;
  now?: () => Date;
}

interface Active {
  finding: Finding;
  suggestion: Suggestion;
  /**
   * Keys (principal ids) that dismissed it, as of the last evaluation (or this instance's own
   * dismiss since); used for pushes. Cleared when the signal goes away.
   */
  dismissedBy: Set<string>;
  /** Keys the adaptive engine no longer pushes it to, as of the last evaluation (less those that forgot since, through this instance). */
  mutedFor: Set<string>;
}

const isAdmin = (p: Principal) => p.scopes.includes('admin');
/**
 * Suggestions whose signal is this instance's own (its circuit breakers): another instance may
 * not see the same, so their dismissals stay in this instance's memory. Every other kind is
 * read from the shared database, and its dismissals are stored there (suggestion_dismissals):
 * shared by all instances and kept across restarts.
 */
const isLocal = (id: string) => id.startsWith('breaker-open:');
/** What makes a change worth a push: severity, who may see it and the material figures. */
const news = (f: Finding) => [f.severity, f.audience.keyId, f.material];

/**
 * The proactive system (blueprint §1.1): reads the signals every interval (context monitor),
 * raises a suggestion once per subject while its signal lasts, updates it as the figures move,
 * resolves it when the signal clears (anticipation), holds pushes back during quiet hours
 * (timing), delivering what is still active when they end, and stops pushing a subject to a key
 * that keeps dismissing it (adaptive, ./adaptive.ts). Per instance: the signals come from
 * the shared database (breakers from this instance), and pushes reach this instance's clients.
 */
export class ProactiveEngine {
  private readonly active = new Map<string, Active>();
  private readonly sinks = new Set<SuggestionSink>();
  /** Pushes held back during quiet hours, latest per suggestion. */
  private readonly held = new Map<string, { event: SuggestionEvent; suggestion: Suggestion; visibleTo: (p: Principal) => boolean }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Evaluations run one after another (the timer's and a caller's), never interleaved. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Signals the last reading could not read: logged when they fail and when they recover, not every interval. */
  private readonly unreadable = new Set<SuggestionKind>();

  /** What the keys' dismissals taught (suggestion_feedback). */
  readonly feedback: AdaptiveFeedback;

  /** One per channel configured (webhook, e-mail), each with its own record of what it sent. */
  private readonly dispatches: NotificationDispatch[];
  /** What the channels did, across instances (GET /api/v1/suggestions/channels). */
  private readonly channelStatus: ChannelStatusStore;

  constructor(private readonly options: ProactiveOptions) {
    this.feedback = new AdaptiveFeedback(options.sources.db, options.adaptive ?? { muteAfter: 0, windowMs: 0 });
    this.dispatches = [options.webhook, options.email].filter((n) => n !== undefined).map((n) => new NotificationDispatch(options.sources.db, n, isLocal));
    this.channelStatus = new ChannelStatusStore(options.sources.db, options.logger);
    for (const n of [options.webhook, options.email]) n?.onDelivery((o) => this.channelStatus.record(o));
  }

  /** The webhook suggestions are sent to, when one is configured. */
  get webhook(): WebhookNotifier | undefined {
    return this.options.webhook;
  }

  /** Where suggestions are e-mailed, when that is configured. */
  get email(): EmailNotifier | undefined {
    return this.options.email;
  }

  /**
   * Each channel besides the dashboard: how it is configured and what it did, as every instance
   * on this database recorded it (whichever instance claimed a suggestion sent it).
   */
  async channels(): Promise<ChannelStatus[]> {
    const records = await this.channelStatus.read();
    const configured = (notifier: WebhookNotifier | EmailNotifier) => ({ channel: notifier.channel, configured: true as const, minSeverity: notifier.minSeverity, ...notifier.describe(), ...ChannelStatusStore.of(records, notifier.channel, notifier.fingerprint) });
    return [
      this.options.webhook ? configured(this.options.webhook) : { channel: 'webhook', configured: false, howTo: 'Set PROACTIVE_WEBHOOK_URL (JSON, Slack) or PROACTIVE_WEBHOOK_FORMAT=pagerduty with PROACTIVE_PAGERDUTY_ROUTING_KEY' },
      this.options.email ? configured(this.options.email) : { channel: 'email', configured: false, howTo: 'Set PROACTIVE_EMAIL_TO, SMTP_URL and SMTP_FROM' },
    ];
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  onPush(sink: SuggestionSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Reads every signal once and pushes what changed (or holds it during quiet hours). */
  evaluate(): Promise<{ raised: number; updated: number; resolved: number; quiet: boolean }> {
    const run = this.queue.then(() => this.evaluateNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async evaluateNow(): Promise<{ raised: number; updated: number; resolved: number; quiet: boolean }> {
    const { db } = this.options.sources;
    // The database's clock, before the signals are read: a dismissal stamped later was made
    // after this reading and is never pruned by it (instances' own clocks may disagree). As
    // text: a JavaScript Date would cut PostgreSQL's microseconds, and a dismissal made in the
    // same millisecond, just before, would look later than the reading and outlive its signal.
    const started = (await db.query<{ started: string }>('SELECT now()::text AS started'))[0]!.started;
    const now = this.now();
    const { findings, unread } = await collectFindings(this.options.sources, this.options.thresholds, now);
    this.noteUnread(unread);
    // A signal that could not be read is not a signal that cleared: its suggestions stay.
    const unknown = new Set(unread.map((u) => u.kind));
    const at = now.toISOString();
    // Once each (ON CONFLICT DO UPDATE refuses to touch a row twice in one statement), in id
    // order: instances reading at once lock the rows in the same order and never deadlock.
    const raisedAt = await this.sharedRaisedAt([...new Set(findings.map((f) => f.key).filter((id) => !isLocal(id)))].sort(), at);
    const seen = new Set<string>();
    const counts = { raised: 0, updated: 0, resolved: 0 };
    const resolved: Suggestion[] = [];
    for (const finding of findings) {
      seen.add(finding.key);
      const current = this.active.get(finding.key);
      const { key, audience: _audience, material: _material, ...rest } = finding;
      if (!current) {
        const suggestion: Suggestion = { id: key, ...rest, raisedAt: raisedAt.get(key) ?? at, updatedAt: at };
        this.active.set(key, { finding, suggestion, dismissedBy: new Set(), mutedFor: new Set() });
        this.push('suggestion.raised', suggestion, finding);
        counts.raised++;
      } else if (isDeepStrictEqual(news(current.finding), news(finding))) {
        // Only clock-driven figures moved: the list shows them fresh, nobody is pushed.
        current.finding = finding;
        current.suggestion = { ...current.suggestion, ...rest };
      } else {
        current.finding = finding;
        current.suggestion = { ...current.suggestion, ...rest, updatedAt: at };
        this.push('suggestion.updated', current.suggestion, finding);
        counts.updated++;
      }
    }
    for (const [key, gone] of this.active) {
      if (unknown.has(gone.finding.kind)) seen.add(key);
      if (seen.has(key)) continue;
      this.active.delete(key);
      resolved.push({ ...gone.suggestion, updatedAt: at });
      this.push('suggestion.resolved', resolved.at(-1)!, gone.finding);
      counts.resolved++;
    }
    const cleared = await this.syncShared(seen, started, unknown, resolved);
    // Not held by quiet hours: the webhook and e-mail are operations channels, not someone's
    // screen. A failure here (a claim's statement) must not hold back the pushes below.
    const active = [...this.active.values()].map((a) => a.suggestion);
    for (const dispatch of this.dispatches) {
      await dispatch.afterReading(active, resolved, cleared[dispatch.channel]).catch((err: unknown) => {
        this.options.logger.warn(`proactive ${dispatch.channel === 'email' ? 'e-mail' : 'webhook'}: this reading sent nothing`, { reason: (err as Error).message });
      });
    }
    const quiet = isQuiet(this.options.quietHours, now);
    if (!quiet) this.flush();
    return { ...counts, quiet };
  }

  /**
   * When each of these suggestions was first raised, by any instance: this reading's time for
   * the new ones. Marks them seen, so no instance takes them for cleared.
   */
  private async sharedRaisedAt(ids: string[], at: string): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await this.options.sources.db.query<{ suggestion_id: string; raised_at: Date | string }>(
      `INSERT INTO suggestion_state (suggestion_id, raised_at) SELECT unnest($1::text[]), $2
       ON CONFLICT (suggestion_id) DO UPDATE SET seen_at = now()
       RETURNING suggestion_id, raised_at`,
      [ids, at],
    );
    return new Map(rows.map((r) => [r.suggestion_id, new Date(r.raised_at).toISOString()]));
  }

  private noteUnread(unread: Reading['unread']): void {
    for (const { kind, reason } of unread) {
      if (this.unreadable.has(kind)) continue;
      this.unreadable.add(kind);
      this.options.logger.warn('a proactive signal could not be read; its suggestions stay as they were', { kind, reason });
    }
    for (const kind of this.unreadable) {
      if (unread.some((u) => u.kind === kind)) continue;
      this.unreadable.delete(kind);
      this.options.logger.info('a proactive signal can be read again', { kind });
    }
  }

  /**
   * Active suggestions `principal` may see and has not dismissed, most severe first, those it
   * is no longer pushed marked `muted`. The key's dismissals and feedback are read from the
   * database, so one made through another instance counts at once.
   */
  async list(principal: Principal): Promise<ListedSuggestion[]> {
    const rows = await this.options.sources.db.query<{ suggestion_id: string }>('SELECT suggestion_id FROM suggestion_dismissals WHERE key_id = $1', [principal.id]);
    const dismissed = new Set(rows.map((r) => r.suggestion_id));
    const shown = [...this.active.values()].filter(
      (a) => this.visible(a.finding, principal) && !(isLocal(a.suggestion.id) ? a.dismissedBy.has(principal.id) : dismissed.has(a.suggestion.id)),
    );
    const learned = shown.length ? await this.feedback.forKey(principal.id, shown.map((a) => a.suggestion.id)) : [];
    const feedbackOf = new Map(learned.map((f) => [f.id, f]));
    return shown
      .map((a): ListedSuggestion => {
        const f = feedbackOf.get(a.suggestion.id);
        return f && this.feedback.mutes(f, a.suggestion.severity) ? { ...a.suggestion, muted: { dismissals: f.dismissals, lastDismissedAt: f.lastDismissedAt } } : a.suggestion;
      })
      .sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || x.raisedAt.localeCompare(y.raisedAt));
  }

  /**
   * Hides a suggestion from this key until its signal clears and comes back: on every
   * instance and across restarts (breaker suggestions, which are per instance: on this one).
   * Stored before it takes effect, so a failed write dismisses nothing.
   */
  async dismiss(id: string, principal: Principal): Promise<Suggestion> {
    const found = this.active.get(id);
    if (!found || !this.visible(found.finding, principal)) throw new NotFoundError(`No active suggestion ${id}`, undefined, 'SUGGESTION_NOT_FOUND');
    const severity = found.suggestion.severity;
    if (!isLocal(id)) await this.feedback.dismissShared(id, principal.id, severity);
    else if (!found.dismissedBy.has(principal.id)) await this.feedback.learn(id, principal.id, severity);
    found.dismissedBy.add(principal.id);
    return found.suggestion;
  }

  /**
   * Forgets what the key's dismissals of one subject taught: it is pushed to the key again
   * (on this instance at once, on the others from their next evaluation).
   */
  async forget(id: string, principal: Principal): Promise<{ id: string; forgotten: number }> {
    const forgotten = await this.feedback.forget(principal.id, id);
    if (!forgotten) throw new NotFoundError(`Nothing learned about ${id} from this key's dismissals`, undefined, 'FEEDBACK_NOT_FOUND');
    this.active.get(id)?.mutedFor.delete(principal.id);
    return { id, forgotten };
  }

  /**
   * After an evaluation: deletes the stored dismissals and raise times of suggestions whose
   * signal this reading no longer found (made or seen no later than the reading began: a newer one may
   * be for a suggestion this instance has not seen yet; and none of a kind it could not read),
   * loads the remaining dismissals into the active suggestions for pushes, and has the adaptive
   * engine say which keys each is muted for.
   */
  private async syncShared(seen: ReadonlySet<string>, readingStarted: string, unread: ReadonlySet<SuggestionKind>, resolved: readonly Suggestion[]): Promise<Record<ChannelName, Suggestion[]>> {
    const { db } = this.options.sources;
    const shared = [...seen].filter((id) => !isLocal(id));
    // Ids start with their kind (monitoring:<rule>).
    const unreadIds = [...unread].map((kind) => `${kind}:%`);
    const cleared = 'NOT (suggestion_id = ANY($2::text[])) AND NOT (suggestion_id LIKE ANY($3::text[]))';
    // At or before: the embedded database's clock ticks in milliseconds, so a dismissal made just
    // before this reading began may carry its very instant; with `<` it outlived the signal and
    // hid the suggestion when it came back. (The start is text, at the clock's full precision.)
    await db.query(`DELETE FROM suggestion_dismissals WHERE dismissed_at <= $1::timestamptz AND ${cleared}`, [readingStarted, shared, unreadIds]);
    // A cleared suggestion a channel was told about leaves its resolve kept in the same
    // transaction (leased to this reading): a process dying before delivering it loses nothing.
    const clearedStates = await db.transaction(async (tx) => {
      const states = await tx.query<ClearedState>(
        `DELETE FROM suggestion_state WHERE seen_at <= $1::timestamptz AND ${cleared} RETURNING ${CLEARED_STATE_COLUMNS}`,
        [readingStarted, shared, unreadIds],
      );
      return keepResolves(tx, states, resolved);
    });
    const rows = await db.query<{ suggestion_id: string; key_id: string }>('SELECT suggestion_id, key_id FROM suggestion_dismissals WHERE suggestion_id = ANY($1::text[])', [shared]);
    const byId = new Map<string, Set<string>>(shared.map((id) => [id, new Set()]));
    for (const r of rows) byId.get(r.suggestion_id)?.add(r.key_id);
    for (const [id, keys] of byId) this.active.get(id)!.dismissedBy = keys;
    await this.feedback.prune();
    const muted = await this.feedback.mutedKeys(new Map([...this.active].map(([id, a]) => [id, a.suggestion.severity])));
    for (const [id, a] of this.active) a.mutedFor = muted.get(id) ?? new Set();
    return clearedStates;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    const tick = () => {
      if (this.running) return;
      this.running = this.evaluate()
        .catch((err: unknown) => this.options.logger.warn('proactive signals could not be read', { reason: (err as Error).message }))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
  }

  /** Waits until what the readings so far queued is sent (or given up) and recorded (tests, tools). */
  async settled(): Promise<void> {
    await this.options.webhook?.idle();
    await this.options.email?.idle();
    await this.channelStatus.idle();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.options.webhook?.stop();
    await this.options.email?.stop();
    await this.channelStatus.idle();
  }

  private visible(finding: Finding, principal: Principal): boolean {
    return isAdmin(principal) || (finding.audience.keyId !== undefined && finding.audience.keyId === principal.id);
  }

  private push(event: SuggestionEvent, suggestion: Suggestion, finding: Finding): void {
    const hidden = (a: Active | undefined, p: Principal) => Boolean(a?.dismissedBy.has(p.id) || a?.mutedFor.has(p.id));
    const visibleTo = (p: Principal) => this.visible(finding, p) && !(event !== 'suggestion.resolved' && hidden(this.active.get(finding.key), p));
    this.held.set(suggestion.id, { event, suggestion, visibleTo });
  }

  /** Delivers the held pushes: a suggestion raised and resolved within quiet hours is never pushed. */
  private flush(): void {
    for (const [id, { event, suggestion, visibleTo }] of this.held) {
      this.held.delete(id);
      const stillActive = this.active.has(id);
      if (event === 'suggestion.resolved' && !this.wasPushed.has(id)) continue;
      if (event !== 'suggestion.resolved' && !stillActive) continue;
      const effective: SuggestionEvent = event === 'suggestion.updated' && !this.wasPushed.has(id) ? 'suggestion.raised' : event;
      if (effective === 'suggestion.resolved') this.wasPushed.delete(id);
      else this.wasPushed.add(id);
      // Held through quiet hours, the figures may have moved since: deliver them as they are now.
      const latest = effective === 'suggestion.resolved' ? suggestion : (this.active.get(id)?.suggestion ?? suggestion);
      for (const sink of this.sinks) {
        try {
          sink(effective, latest, visibleTo);
        } catch (err) {
          this.options.logger.warn('suggestion push failed', { reason: (err as Error).message });
        }
      }
    }
  }

  /** Suggestions whose raise was pushed (so their resolve must be too). */
  private readonly wasPushed = new Set<string>();
}
