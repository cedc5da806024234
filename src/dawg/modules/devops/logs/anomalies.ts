import type { LogRecord } from './log-record';
import { messageTemplate } from './message-template';
import type { TimeWindow } from './schema';

// Bound at module level: jest's module wrapper makes `Math.x` lookups in hot loops slow.
const { abs, ceil, floor, max, min, round } = Math;

const BUCKET_MS = 60_000;
/** Robust z-score above which a minute is a spike (Iglewicz & Hoaglin's usual cut-off). */
const SPIKE_SCORE = 3.5;
/** A minute with fewer errors than this is never a spike, however quiet the rest of the window. */
const MIN_SPIKE_COUNT = 5;
/** Fewer minutes than this give no meaningful median. */
const MIN_BUCKETS = 10;
/** Floor of the scale, so one extra error over a perfectly flat series is not "infinitely" unusual. */
const MIN_SCALE = 1;
const MAX_SERVICES = 50;
const MAX_WINDOW_TEMPLATES = 10_000;
const MAX_BASELINE_TEMPLATES = 50_000;
const MAX_REPORTED = 50;

export interface Spike {
  service: string;
  /** Start of the one-minute bucket. */
  bucketStart: string;
  count: number;
  baseline: { median: number; mad: number; scale: number };
  /** (count − median) / scale. */
  score: number;
}

export interface NewTemplate {
  service: string;
  template: string;
  count: number;
  firstSeen: string;
  example: string;
}

export interface AnomalyReport {
  spikes: { status: 'ok' | 'skipped'; reason?: string; method: string; found: Spike[]; servicesCapped: boolean };
  newTemplates: {
    status: 'ok' | 'skipped';
    reason?: string;
    method: string;
    baseline: { start: string; end: string; entries: number; complete: boolean };
    found: NewTemplate[];
    capped: boolean;
  };
  limitations: string[];
}

const SPIKE_METHOD =
  `Per service, entries of severity error or critical that match the query are counted per minute over the window (empty minutes count 0). ` +
  `A minute is a spike when its count is at least ${MIN_SPIKE_COUNT} and (count − median) / scale > ${SPIKE_SCORE}, ` +
  `scale = 1.4826·MAD, or 1.2533·mean absolute deviation when the MAD is 0, never below ${MIN_SCALE}.`;
const TEMPLATE_METHOD =
  'Messages become templates (quoted strings, UUIDs, timestamps, hex ids and numbers replaced by placeholders). ' +
  'A template of a service that matches in the window but not in the baseline period (same length, just before the window, same filters) is new.';
const LIMITATIONS = [
  'Spikes compare minutes of the window with each other: a rise that lasts most of the window becomes the median and is not flagged.',
  'Warnings are not counted in spikes (bursts of auth.failure or command.denied map to warn).',
  'A template last seen before the baseline period, or in a part of the baseline the scan budget did not reach, is reported as new.',
  'Variable parts other than numbers, ids, timestamps and quoted strings (names, paths) make distinct templates.',
];

type Pair = readonly [value: number, count: number];

/** Median of a multiset given as (value, count) pairs. */
function weightedMedian(pairs: readonly Pair[]): number {
  const sorted = pairs.filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  const lowIndex = floor((total - 1) / 2);
  const highIndex = floor(total / 2);
  let seen = 0;
  let low = 0;
  for (const [value, count] of sorted) {
    if (seen <= lowIndex && lowIndex < seen + count) low = value;
    if (seen <= highIndex && highIndex < seen + count) return (low + value) / 2;
    seen += count;
  }
  return low;
}

/** JSON keeps any service name apart from its template, whatever characters either holds. */
const templateKey = (service: string, template: string) => JSON.stringify([service, template]);

const round3 = (x: number) => round(x * 1000) / 1000;

/** Robust location and scale of a per-minute series held sparsely (minutes absent from `counts` are 0). */
function robustStats(counts: ReadonlyMap<number, number>, buckets: number) {
  const values: Pair[] = [[0, buckets - counts.size], ...[...counts.values()].map((c): Pair => [c, 1])];
  const median = weightedMedian(values);
  const deviations = values.map(([value, count]): Pair => [abs(value - median), count]);
  const mad = weightedMedian(deviations);
  const meanAbsDev = deviations.reduce((sum, [d, count]) => sum + d * count, 0) / buckets;
  const scale = max(mad > 0 ? 1.4826 * mad : 1.2533 * meanAbsDev, MIN_SCALE);
  return { median, mad, scale };
}

interface WindowTemplate {
  service: string;
  template: string;
  count: number;
  firstSeenMs: number;
  example: string;
}

/**
 * Deterministic, explainable anomaly statistics over the records a query matched. Records are
 * offered in any order; the report depends only on the set of records.
 */
export class AnomalyDetector {
  private readonly errorsPerMinute = new Map<string, Map<number, number>>();
  private servicesCapped = false;
  private readonly windowTemplates = new Map<string, WindowTemplate>();
  private readonly baselineTemplates = new Set<string>();
  private baselineEntries = 0;
  private templatesCapped = false;
  private readonly firstBucket: number;
  private readonly buckets: number;

  constructor(
    window: TimeWindow,
    private readonly baseline: TimeWindow,
  ) {
    this.firstBucket = floor(window.startMs / BUCKET_MS);
    this.buckets = max(1, ceil(window.endMs / BUCKET_MS) - this.firstBucket);
  }

  observeWindow(record: LogRecord): void {
    if (record.severity === 'error' || record.severity === 'critical') this.countError(record);
    const template = messageTemplate(record.message);
    const key = templateKey(record.service, template);
    const example = record.message.slice(0, 200);
    const seen = this.windowTemplates.get(key);
    if (seen) {
      seen.count++;
      // Ties broken by the text, so the example does not depend on the order records arrived in.
      if (record.timeMs < seen.firstSeenMs || (record.timeMs === seen.firstSeenMs && example < seen.example)) {
        Object.assign(seen, { firstSeenMs: record.timeMs, example });
      }
    } else if (this.windowTemplates.size < MAX_WINDOW_TEMPLATES) {
      this.windowTemplates.set(key, { service: record.service, template, count: 1, firstSeenMs: record.timeMs, example });
    } else {
      this.templatesCapped = true;
    }
  }

  observeBaseline(record: LogRecord): void {
    this.baselineEntries++;
    if (this.baselineTemplates.size < MAX_BASELINE_TEMPLATES) this.baselineTemplates.add(templateKey(record.service, messageTemplate(record.message)));
    else this.templatesCapped = true;
  }

  report(baselineComplete: boolean): AnomalyReport {
    return { spikes: this.spikes(), newTemplates: this.newTemplates(baselineComplete), limitations: LIMITATIONS };
  }

  private countError(record: LogRecord): void {
    let series = this.errorsPerMinute.get(record.service);
    if (!series) {
      if (this.errorsPerMinute.size >= MAX_SERVICES) {
        this.servicesCapped = true;
        return;
      }
      series = new Map();
      this.errorsPerMinute.set(record.service, series);
    }
    const bucket = min(floor(record.timeMs / BUCKET_MS) - this.firstBucket, this.buckets - 1);
    series.set(bucket, (series.get(bucket) ?? 0) + 1);
  }

  private spikes(): AnomalyReport['spikes'] {
    const base = { method: SPIKE_METHOD, servicesCapped: this.servicesCapped };
    if (this.buckets < MIN_BUCKETS) {
      return { ...base, status: 'skipped', reason: `the window spans ${this.buckets} minute(s); spike detection needs at least ${MIN_BUCKETS}`, found: [] };
    }
    const found: Spike[] = [];
    for (const [service, counts] of this.errorsPerMinute) {
      const stats = robustStats(counts, this.buckets);
      for (const [bucket, count] of counts) {
        const score = (count - stats.median) / stats.scale;
        if (count < MIN_SPIKE_COUNT || score <= SPIKE_SCORE) continue;
        found.push({
          service,
          bucketStart: new Date((this.firstBucket + bucket) * BUCKET_MS).toISOString(),
          count,
          baseline: { median: round3(stats.median), mad: round3(stats.mad), scale: round3(stats.scale) },
          score: round(score * 100) / 100,
        });
      }
    }
    found.sort((a, b) => b.score - a.score || a.bucketStart.localeCompare(b.bucketStart) || a.service.localeCompare(b.service));
    return { ...base, status: 'ok', found: found.slice(0, MAX_REPORTED) };
  }

  private newTemplates(baselineComplete: boolean): AnomalyReport['newTemplates'] {
    const base = {
      method: TEMPLATE_METHOD,
      baseline: { start: new Date(this.baseline.startMs).toISOString(), end: new Date(this.baseline.endMs).toISOString(), entries: this.baselineEntries, complete: baselineComplete },
      capped: this.templatesCapped,
    };
    if (this.baselineEntries === 0) {
      return { ...base, status: 'skipped', reason: 'no entries matched in the baseline period, so every template would look new', found: [] };
    }
    const found: NewTemplate[] = [];
    for (const [key, seen] of this.windowTemplates) {
      if (this.baselineTemplates.has(key)) continue;
      found.push({ service: seen.service, template: seen.template, count: seen.count, firstSeen: new Date(seen.firstSeenMs).toISOString(), example: seen.example });
    }
    found.sort((a, b) => b.count - a.count || a.firstSeen.localeCompare(b.firstSeen) || a.service.localeCompare(b.service) || a.template.localeCompare(b.template));
    return { ...base, status: 'ok', found: found.slice(0, MAX_REPORTED) };
  }
}
