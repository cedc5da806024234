import type { AnomalyDetector } from './anomalies';
import { SEVERITIES, type LogRecord, type LogSource, type Severity } from './log-record';
import type { SafeRegex } from '../safe-regex';
import type { TimeWindow } from './schema';

const MAX_MESSAGE_CHARS = 2000;
const MAX_FIELDS_JSON_CHARS = 4000;
const MAX_SERVICE_TOTALS = 100;
const OTHER_SERVICES = '(other services)';

/** One matching entry as returned to the caller. */
export interface LogMatch {
  time: string;
  service: string;
  level: string;
  severity: Severity;
  message: string;
  source: LogSource;
  fields: Record<string, unknown>;
  /** Present when the message was cut, or the fields left out, to keep the result bounded: the original sizes. */
  clipped?: { messageChars?: number; fieldsJsonChars?: number };
}

export interface MatchTotals {
  /** Every match in the window, including those beyond `limit`. */
  matches: number;
  bySeverity: Record<Severity, number>;
  byService: Record<string, number>;
}

export interface MatchCollectorOptions {
  window: TimeWindow;
  services?: ReadonlySet<string>;
  severities?: ReadonlySet<Severity>;
  regex: SafeRegex;
  limit: number;
  /** With anomaly detection: the detector, and the baseline period whose matches only feed it. */
  anomalies?: { detector: AnomalyDetector; baseline: TimeWindow };
}

function tieKey(record: LogRecord): string {
  const { source } = record;
  return source.kind === 'file' ? `file:${source.file}:${String(source.line).padStart(12, '0')}` : `audit:${String(source.seq).padStart(16, '0')}`;
}

/** Newest first; records of the same millisecond by source position, so the order never depends on arrival. */
function newestFirst(a: LogRecord, b: LogRecord): number {
  if (a.timeMs !== b.timeMs) return b.timeMs - a.timeMs;
  const ka = tieKey(a);
  const kb = tieKey(b);
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

function toMatch(record: LogRecord): LogMatch {
  const match: LogMatch = {
    time: new Date(record.timeMs).toISOString(),
    service: record.service,
    level: record.level,
    severity: record.severity,
    message: record.message,
    source: record.source,
    fields: record.fields,
  };
  if (record.message.length > MAX_MESSAGE_CHARS) {
    match.message = `${record.message.slice(0, MAX_MESSAGE_CHARS)}…`;
    match.clipped = { messageChars: record.message.length };
  }
  const fieldsJsonChars = JSON.stringify(record.fields).length;
  if (fieldsJsonChars > MAX_FIELDS_JSON_CHARS) {
    match.fields = {};
    match.clipped = { ...match.clipped, fieldsJsonChars };
  }
  return match;
}

/**
 * Applies the query's filters to records from every source and keeps what the result needs:
 * totals over all matches, the newest `limit` matches, and (optionally) anomaly statistics.
 * Memory stays bounded by 2 × limit records whatever the number of matches.
 */
export class MatchCollector {
  private readonly kept: LogRecord[] = [];
  private matched = 0;
  private readonly bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  private readonly byService = new Map<string, number>();

  constructor(private readonly options: MatchCollectorOptions) {}

  offer(record: LogRecord): void {
    const { window, services, severities, anomalies } = this.options;
    const inWindow = record.timeMs >= window.startMs && record.timeMs <= window.endMs;
    const inBaseline = !inWindow && anomalies !== undefined && record.timeMs >= anomalies.baseline.startMs && record.timeMs < anomalies.baseline.endMs;
    if (!inWindow && !inBaseline) return;
    if (services && !services.has(record.service)) return;
    if (severities && !severities.has(record.severity)) return;
    if (!this.matchesQuery(record)) return;
    if (inBaseline) {
      anomalies!.detector.observeBaseline(record);
      return;
    }
    anomalies?.detector.observeWindow(record);
    this.count(record);
    this.kept.push(record);
    if (this.kept.length >= 2 * this.options.limit) this.prune();
  }

  /** The newest `limit` matches, newest first. */
  matches(): LogMatch[] {
    this.prune();
    return this.kept.map(toMatch);
  }

  totals(): MatchTotals {
    return { matches: this.matched, bySeverity: { ...this.bySeverity }, byService: Object.fromEntries([...this.byService].sort(([a], [b]) => a.localeCompare(b))) };
  }

  /** The message first (cheap, and what people search), then the JSON of the entry's other fields. */
  private matchesQuery(record: LogRecord): boolean {
    const { regex } = this.options;
    return regex.test(record.message) || regex.test(JSON.stringify(record.fields));
  }

  private count(record: LogRecord): void {
    this.matched++;
    this.bySeverity[record.severity]++;
    const service = this.byService.has(record.service) || this.byService.size < MAX_SERVICE_TOTALS ? record.service : OTHER_SERVICES;
    this.byService.set(service, (this.byService.get(service) ?? 0) + 1);
  }

  private prune(): void {
    this.kept.sort(newestFirst);
    this.kept.length = Math.min(this.kept.length, this.options.limit);
  }
}
