import type { PromSample } from './prom-text';

/**
 * The last value of each counter series a rule counts, keyed by its label set, with when it
 * was last seen: `[value, seenAtMs]`. Increases are taken per series and then summed, as
 * Prometheus's `sum(increase(...))` does, so one series restarting (one control plane of
 * several) or disappearing (an instance stopped) is not mistaken for all of them resetting.
 */
export type SeriesMemory = Record<string, [number, number]>;

/** A series absent from the scrapes for this long is forgotten (its instance is taken as gone). */
export const SERIES_MEMORY_MS = 60 * 60_000;
/** At most this many series are remembered per counter; the longest unseen go first. */
export const MAX_REMEMBERED_SERIES = 5_000;

/** A series' identity: its labels, sorted by name. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

export interface Increase {
  /** Sum of the series' increases since each was last seen (a series seen for the first time counts from 0). */
  increase: number;
  /** Series whose value went down since last seen: restarted, counted from 0. */
  resets: number;
  memory: SeriesMemory;
}

/**
 * The increase of the matching counters since `memory`, series by series. A series seen for
 * the first time counts its whole value (a labelled counter appears at its first event, an
 * instance's at its start); one that is absent now adds nothing and is remembered for
 * `SERIES_MEMORY_MS`, so an instance missing one scrape picks up where it left off.
 */
export function increaseSince(memory: SeriesMemory, samples: readonly PromSample[], nowMs: number): Increase {
  const next: SeriesMemory = {};
  let increase = 0;
  let resets = 0;
  for (const sample of samples) {
    const key = seriesKey(sample.labels);
    const before = memory[key]?.[0];
    if (before === undefined) increase += sample.value;
    else if (sample.value >= before) increase += sample.value - before;
    else {
      increase += sample.value;
      resets++;
    }
    next[key] = [sample.value, nowMs];
  }
  const absent = Object.entries(memory).filter(([key, [, seenAtMs]]) => !(key in next) && nowMs - seenAtMs < SERIES_MEMORY_MS);
  for (const [key, entry] of absent) next[key] = entry;
  return { increase, resets, memory: capped(next) };
}

/** The memory of what is matched now, with no increase counted (a rule's first reading). */
export function remember(samples: readonly PromSample[], nowMs: number): SeriesMemory {
  return increaseSince({}, samples, nowMs).memory;
}

function capped(memory: SeriesMemory): SeriesMemory {
  const keys = Object.keys(memory);
  if (keys.length <= MAX_REMEMBERED_SERIES) return memory;
  const kept = keys.sort((a, b) => memory[b]![1] - memory[a]![1]).slice(0, MAX_REMEMBERED_SERIES);
  return Object.fromEntries(kept.map((key) => [key, memory[key]!]));
}
