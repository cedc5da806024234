import type { AlertExpr, AlertRule, AlertState, Counts, JsonNumber, SloRule, SloState } from './schema';
import { windowSeconds } from './schema';
import { compileSelector, sum, type SampleIndex } from './selector';

export interface AlertEvaluation {
  name: string;
  state: 'ok' | 'pending' | 'firing' | 'no-data';
  severity: AlertRule['severity'];
  value: JsonNumber | null;
  op: AlertRule['op'];
  threshold: number;
  for: number;
  /** When the condition was first seen true (pending or firing), else null. */
  pendingSince: string | null;
  /** When the alert fired (pendingSince + for), while it fires. */
  firingSince: string | null;
  /** Why there is no value (no-data), or how it was read. */
  reason?: string;
  description?: string;
}

export interface SloEvaluation {
  name: string;
  /** breaching: the SLI is below the objective (the period's error budget is spent). */
  status: 'ok' | 'breaching' | 'no-events' | 'no-data';
  objective: number;
  window: string;
  /** Good ÷ total events counted in this period; null without events. */
  sli: number | null;
  good: number;
  total: number;
  /** 1 − (1 − sli) / (1 − objective): 1 untouched, 0 spent, below 0 overspent. */
  errorBudgetRemaining: number | null;
  /** Error rate ÷ allowed error rate since the period started: 1 spends the budget exactly by the window's end. */
  burnRate: number | null;
  period: { start: string | null; elapsedSeconds: number; windowSeconds: number; ended: boolean };
  counterResets: number;
  notes: string[];
  reason?: string;
}

type Previous = AlertState['previous'];
type Computed = { value: number; previous: Previous; reason?: string } | { value: undefined; previous: Previous; reason: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** Ratios to 12 significant digits: 0.99 rather than 0.9900000000000001. */
const tidy = (x: number) => Number(x.toPrecision(12));
/** A counter's increase; a value below the previous one means the counter restarted from 0. */
const increase = (previous: number, current: number) => (current >= previous ? current - previous : current);

function toJsonNumber(value: number): JsonNumber {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return value;
}

/** The sum of a selector's series: 0 when the metric is known but no series matches yet; undefined when the metric is absent. */
function sumOf(selector: Parameters<typeof compileSelector>[0], index: SampleIndex): number | undefined {
  const values = compileSelector(selector).values(index);
  if (values.length === 0 && !index.knows(selector.metric)) return undefined;
  return sum(values);
}

function aggregate(expr: Extract<AlertExpr, { aggregate: 'sum' | 'avg' | 'max' | 'min' | 'count' }>, index: SampleIndex): Computed {
  const values = compileSelector(expr).values(index);
  if (values.length === 0) {
    if (!index.knows(expr.metric)) return { value: undefined, previous: null, reason: `metric ${expr.metric} is absent from the scrape` };
    // A sum or count of nothing is 0 (e.g. no 5xx answer yet); an average or extreme of nothing is undefined.
    if (expr.aggregate === 'sum' || expr.aggregate === 'count') return { value: 0, previous: null, reason: 'no series match the selector yet' };
    return { value: undefined, previous: null, reason: `no series of ${expr.metric} match the selector` };
  }
  switch (expr.aggregate) {
    case 'sum':
      return { value: sum(values), previous: null };
    case 'avg':
      return { value: sum(values) / values.length, previous: null };
    case 'max':
      return { value: Math.max(...values), previous: null };
    case 'min':
      return { value: Math.min(...values), previous: null };
    case 'count':
      return { value: values.length, previous: null };
  }
}

type RateExpr = Extract<AlertExpr, { aggregate: 'rate' }>;
type RateRatioExpr = Extract<AlertExpr, { aggregate: 'rate-ratio' }>;

const absent = (metric: string): Computed => ({ value: undefined, previous: null, reason: `metric ${metric} is absent from the scrape` });
const notFinite: Computed = { value: undefined, previous: null, reason: 'a counter’s value is not finite' };
const firstReading = (expr: AlertExpr, current: Previous): Computed => ({
  value: undefined,
  previous: current,
  reason: `first reading: a ${expr.aggregate} needs a previous evaluation to compare with`,
});

/** Per-second increase of the series' sum between the previous evaluation and this one. */
function rate(expr: RateExpr, index: SampleIndex, prev: Previous, nowMs: number): Computed {
  const value = sumOf(expr, index);
  if (value === undefined) return absent(expr.metric);
  if (!Number.isFinite(value)) return notFinite;
  const current = { atMs: nowMs, value };
  if (!prev || prev.denominator !== undefined) return firstReading(expr, current);
  if (nowMs <= prev.atMs) return { value: undefined, previous: prev, reason: 'no time has passed since the previous evaluation' };
  return { value: increase(prev.value, value) / ((nowMs - prev.atMs) / 1000), previous: current, reason: `per second since ${iso(prev.atMs)}` };
}

/** Increase of the numerator ÷ increase of the denominator between the previous evaluation and this one. */
function rateRatio(expr: RateRatioExpr, index: SampleIndex, prev: Previous, nowMs: number): Computed {
  const num = sumOf(expr.numerator, index);
  const den = sumOf(expr.denominator, index);
  if (num === undefined) return absent(expr.numerator.metric);
  if (den === undefined) return absent(expr.denominator.metric);
  if (!Number.isFinite(num) || !Number.isFinite(den)) return notFinite;
  const current = { atMs: nowMs, value: num, denominator: den };
  if (!prev || prev.denominator === undefined) return firstReading(expr, current);
  if (nowMs <= prev.atMs) return { value: undefined, previous: prev, reason: 'no time has passed since the previous evaluation' };
  // Either counter going down means the process restarted: both count from 0 again.
  const reset = num < prev.value || den < prev.denominator;
  const dNum = reset ? num : num - prev.value;
  const dDen = reset ? den : den - prev.denominator;
  if (dDen === 0) return { value: undefined, previous: current, reason: `no ${expr.denominator.metric} events since ${iso(prev.atMs)}` };
  return { value: tidy(dNum / dDen), previous: current, reason: `since ${iso(prev.atMs)}${reset ? ' (counter reset: counted from 0)' : ''}` };
}

function compute(rule: AlertRule, index: SampleIndex, nowMs: number): Computed {
  const { expr } = rule;
  if (expr.aggregate === 'rate') return rate(expr, index, rule.state.previous, nowMs);
  if (expr.aggregate === 'rate-ratio') return rateRatio(expr, index, rule.state.previous, nowMs);
  return aggregate(expr, index);
}

function holds(value: number, op: AlertRule['op'], threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** One alert against one scrape; returns what to report and the state to keep for the next evaluation. */
export function evaluateAlert(rule: AlertRule, index: SampleIndex, nowMs: number): { result: AlertEvaluation; state: AlertState } {
  const computed = compute(rule, index, nowMs);
  const value = computed.value !== undefined && !Number.isNaN(computed.value) ? computed.value : undefined;
  let status: AlertEvaluation['state'];
  let pendingSinceMs: number | null = null;
  if (value === undefined) status = 'no-data';
  else if (!holds(value, rule.op, rule.threshold)) status = 'ok';
  else {
    pendingSinceMs = rule.state.pendingSinceMs ?? nowMs;
    status = nowMs - pendingSinceMs >= rule.for * 1000 ? 'firing' : 'pending';
  }
  const shown = value === undefined ? null : toJsonNumber(value);
  const reason = computed.value !== undefined && value === undefined ? 'the value is NaN' : computed.reason;
  const state: AlertState = { status, value: shown, pendingSinceMs, evaluatedAtMs: nowMs, previous: computed.previous };
  const result: AlertEvaluation = {
    name: rule.name,
    state: status,
    severity: rule.severity,
    value: shown,
    op: rule.op,
    threshold: rule.threshold,
    for: rule.for,
    pendingSince: iso(pendingSinceMs),
    firingSince: status === 'firing' ? iso(pendingSinceMs! + rule.for * 1000) : null,
    ...(reason !== undefined && { reason }),
    ...(rule.description !== undefined && { description: rule.description }),
  };
  return { result, state };
}

/** Good and total counted in the period: what was carried over resets plus the growth since the baseline. */
function periodCounts(state: SloState, current: Counts): Counts {
  const base = state.baseline ?? current;
  return { good: state.carried.good + current.good - base.good, total: state.carried.total + current.total - base.total };
}

interface SloOutcome {
  /** 'ok' becomes 'no-events' without events and 'breaching' past the objective. */
  status: 'ok' | 'no-data';
  counts: Counts;
  ended: boolean;
  notes: string[];
  reason?: string;
}

function sloResult(rule: SloRule, state: SloState, nowMs: number, { status, counts, ended, notes, reason }: SloOutcome): SloEvaluation {
  const sli = counts.total > 0 ? tidy(counts.good / counts.total) : null;
  const burnRate = sli === null ? null : tidy((1 - sli) / (1 - rule.objective / 100));
  const start = state.periodStartMs;
  return {
    name: rule.name,
    status: status === 'no-data' ? status : sli === null ? 'no-events' : burnRate! > 1 ? 'breaching' : 'ok',
    objective: rule.objective,
    window: rule.window,
    sli,
    good: counts.good,
    total: counts.total,
    errorBudgetRemaining: burnRate === null ? null : tidy(1 - burnRate),
    burnRate,
    period: { start: iso(start), elapsedSeconds: start === null ? 0 : Math.round((nowMs - start) / 1000), windowSeconds: windowSeconds(rule.window)!, ended },
    counterResets: state.counterResets,
    notes,
    ...(reason !== undefined && { reason }),
  };
}

/**
 * One SLO against one scrape. Counters are cumulative, so the SLI is computed from their
 * growth since the period's baseline (taken at the first evaluation); a counter that went down
 * restarted from 0, so what was counted before is carried and the baseline becomes 0.
 */
export function evaluateSlo(rule: SloRule, index: SampleIndex, nowMs: number): { result: SloEvaluation; state: SloState } {
  const total = sumOf(rule.sli.total, index);
  const good = sumOf(rule.sli.good, index);
  const notes: string[] = [];
  let state: SloState = { ...rule.state, evaluatedAtMs: nowMs };
  if (total === undefined || good === undefined || !Number.isFinite(total) || !Number.isFinite(good)) {
    const absent = total === undefined ? rule.sli.total.metric : good === undefined ? rule.sli.good.metric : undefined;
    const reason = absent !== undefined ? `metric ${absent} is absent from the scrape` : 'a counter’s value is not finite';
    // The figures as of the previous evaluation.
    const counts = periodCounts(state, state.last ?? { good: 0, total: 0 });
    return { result: sloResult(rule, state, nowMs, { status: 'no-data', counts, ended: false, notes, reason }), state };
  }
  const current = { good, total };
  if (state.baseline === null) {
    state = { ...state, baseline: current, periodStartMs: nowMs, carried: { good: 0, total: 0 } };
    notes.push('baseline taken now: the SLI counts events from here on');
  } else if (state.last && (good < state.last.good || total < state.last.total)) {
    state = { ...state, carried: periodCounts(state, state.last), baseline: { good: 0, total: 0 }, counterResets: state.counterResets + 1 };
    notes.push('counter reset (a counter is lower than at the previous evaluation): the baseline restarts at 0, events counted before are kept, events between the previous evaluation and the reset are lost');
  }
  const counts = periodCounts(state, current);
  if (counts.good > counts.total) notes.push('good exceeds total: good should select a subset of the total’s events');
  state = { ...state, last: current };
  const ended = nowMs - state.periodStartMs! >= windowSeconds(rule.window)! * 1000;
  if (ended) notes.push(`the ${rule.window} window has elapsed: these figures cover the period up to now, and a new period starts here`);
  const result = sloResult(rule, state, nowMs, { status: 'ok', counts, ended, notes });
  if (ended) state = { ...state, baseline: current, periodStartMs: nowMs, carried: { good: 0, total: 0 } };
  return { result, state };
}
