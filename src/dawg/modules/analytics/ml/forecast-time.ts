/*
 * The time axis of a series: its spacing, the season that spacing suggests, and the
 * timestamps of future steps. Times are numbers (an index) or dates/timestamps (ISO strings,
 * as DuckDB values and JSON rows carry them).
 */

const DAY = 86_400_000;

export type TimeStep =
  | { unit: 'number'; step: number }
  | { unit: 'month'; step: number; dateOnly: boolean }
  | { unit: 'ms'; step: number; dateOnly: boolean };

export type TimeAxisResult = { ok: true; step: TimeStep; order: number[] } | { ok: false; message: string };

function toMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Monotone month counter: year·12 + month. */
function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/**
 * Reads the axis: `order` sorts the rows by time; the spacing must be regular (a fixed number
 * of ms or days, or of calendar months on the same day of month) because exponential
 * smoothing assumes equal steps. Gaps or duplicates are reported, not silently bridged.
 */
export function readTimeAxis(values: readonly unknown[]): TimeAxisResult {
  const numeric = values.every((v) => typeof v === 'number' && Number.isFinite(v));
  const ms = numeric ? (values as number[]) : values.map(toMs);
  const bad = ms.findIndex((v) => v === undefined);
  if (bad >= 0) return { ok: false, message: `row ${bad + 1} has ${JSON.stringify(values[bad])}, not a number, date or timestamp` };
  const t = ms as number[];
  const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]!);
  const sorted = order.map((i) => t[i]!);
  const diffs = sorted.slice(1).map((v, i) => v - sorted[i]!);
  const dup = diffs.findIndex((d) => d === 0);
  if (dup >= 0) return { ok: false, message: `duplicate time ${JSON.stringify(values[order[dup]!])}; aggregate to one row per time first` };
  if (numeric) return regular(diffs) ? { ok: true, step: { unit: 'number', step: diffs[0]! }, order } : irregular(values, order, diffs);
  const dateOnly = sorted.every((v) => v % DAY === 0);
  if (regular(diffs)) return { ok: true, step: { unit: 'ms', step: diffs[0]!, dateOnly }, order };
  const sameDay = sorted.every((v) => new Date(v).getUTCDate() === new Date(sorted[0]!).getUTCDate() && v % DAY === sorted[0]! % DAY);
  const monthDiffs = sorted.slice(1).map((v, i) => monthIndex(v) - monthIndex(sorted[i]!));
  if (sameDay && regular(monthDiffs)) return { ok: true, step: { unit: 'month', step: monthDiffs[0]!, dateOnly }, order };
  return irregular(values, order, diffs);
}

function regular(diffs: readonly number[]): boolean {
  return diffs.every((d) => Math.abs(d - diffs[0]!) <= 1e-9 * Math.abs(diffs[0]!));
}

function irregular(values: readonly unknown[], order: readonly number[], diffs: readonly number[]): TimeAxisResult {
  const at = diffs.findIndex((d) => d !== diffs[0]);
  return { ok: false, message: `times are not evenly spaced (e.g. after ${JSON.stringify(values[order[at]!])}); fill gaps or aggregate to a regular step first` };
}

/** The season a spacing suggests: weekly for days, yearly for weeks/months/quarters, daily for hours. */
export function suggestedPeriod(step: TimeStep): number | undefined {
  if (step.unit === 'month') return step.step === 1 ? 12 : step.step === 3 ? 4 : undefined;
  if (step.unit === 'ms') {
    if (step.step === DAY) return 7;
    if (step.step === 7 * DAY) return 52;
    if (step.step === 3_600_000) return 24;
  }
  return undefined;
}

/** Time of the h-th step after `last` (the original value of the last row), as the input spelled times. */
export function futureTime(last: unknown, step: TimeStep, h: number): string | number {
  if (step.unit === 'number') return (last as number) + h * step.step;
  const base = toMs(last)!;
  let ms: number;
  if (step.unit === 'month') {
    const d = new Date(base);
    ms = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + h * step.step, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  } else ms = base + h * step.step;
  const iso = new Date(ms).toISOString();
  return step.dateOnly ? iso.slice(0, 10) : iso;
}
