import type { AlertExpr, AlertRule, AlertState, Counts, JsonNumber, SloRule, SloState } from './schema';
import { windowSeconds } from './schema';
import type { PromSample } from './prom-text';
import { compileSelector, sum, type SampleIndex } from './selector';
import { increaseSince, MAX_REMEMBERED_SERIES, remember } from './series-memory';

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

function toJsonNumber(value: number): JsonNumber {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return value;
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

const firstReading = (expr: AlertExpr, current: Previous): Computed => ({
  value: undefined,
  previous: current,
  reason: `first reading: a ${expr.aggregate} needs a previous evaluation to compare with`,
});

/**
 * The series a counter selector matches, or why they cannot be counted: the metric is absent,
 * a value is NaN or infinite, or there are more series than a rule remembers (counting only
 * some of them would count the others' whole values again at each evaluation).
 */
function counterSamples(selector: Parameters<typeof compileSelector>[0], index: SampleIndex): { samples: PromSample[] } | { problem: string } {
  const samples = compileSelector(selector).samples(index);
  if (samples.length === 0 && !index.knows(selector.metric)) return { problem: `metric ${selector.metric} is absent from the scrape` };
  if (!samples.every((s) => Number.isFinite(s.value))) return { problem: 'a counter’s value is not finite' };
  if (samples.length > MAX_REMEMBERED_SERIES) {
    return { problem: `the selector of ${selector.metric} matches ${samples.length} series; at most ${MAX_REMEMBERED_SERIES} are counted per counter: narrow it with labels or matchers` };
  }
  return { samples };
}

const noData = (reason: string): Computed => ({ value: undefined, previous: null, reason });

const resetNote = (resets: number) => (resets > 0 ? ' (counter reset: counted from 0)' : '');

/** Per-second increase of the matching series (each series' increase, summed) between the previous evaluation and this one. */
function rate(expr: RateExpr, index: SampleIndex, prev: Previous, nowMs: number): Computed {
  const read = counterSamples(expr, index);
  if ('problem' in read) return noData(read.problem);
  if (!prev || prev.denominatorSeries !== undefined) return firstReading(expr, { atMs: nowMs, series: remember(read.samples, nowMs) });
  if (nowMs <= prev.atMs) return { value: undefined, previous: prev, reason: 'no time has passed since the previous evaluation' };
  const { increase, resets, memory } = increaseSince(prev.series, read.samples, nowMs);
  return { value: increase / ((nowMs - prev.atMs) / 1000), previous: { atMs: nowMs, series: memory }, reason: `per second since ${iso(prev.atMs)}${resetNote(resets)}` };
}

/** Increase of the numerator ÷ increase of the denominator between the previous evaluation and this one, each summed over its series. */
function rateRatio(expr: RateRatioExpr, index: SampleIndex, prev: Previous, nowMs: number): Computed {
  const num = counterSamples(expr.numerator, index);
  if ('problem' in num) return noData(num.problem);
  const den = counterSamples(expr.denominator, index);
  if ('problem' in den) return noData(den.problem);
  if (!prev || prev.denominatorSeries === undefined) {
    return firstReading(expr, { atMs: nowMs, series: remember(num.samples, nowMs), denominatorSeries: remember(den.samples, nowMs) });
  }
  if (nowMs <= prev.atMs) return { value: undefined, previous: prev, reason: 'no time has passed since the previous evaluation' };
  const n = increaseSince(prev.series, num.samples, nowMs);
  const d = increaseSince(prev.denominatorSeries, den.samples, nowMs);
  const current = { atMs: nowMs, series: n.memory, denominatorSeries: d.memory };
  if (d.increase === 0) return { value: undefined, previous: current, reason: `no ${expr.denominator.metric} events since ${iso(prev.atMs)}` };
  return { value: tidy(n.increase / d.increase), previous: current, reason: `since ${iso(prev.atMs)}${resetNote(n.resets + d.resets)}` };
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
 * growth since the period started (the first evaluation), series by series: a series that went
 * down restarted from 0 and counts from there; one that disappeared (a control plane stopped)
 * adds nothing; one that appeared counts from 0.
 */
export function evaluateSlo(rule: SloRule, index: SampleIndex, nowMs: number): { result: SloEvaluation; state: SloState } {
  const total = counterSamples(rule.sli.total, index);
  const good = counterSamples(rule.sli.good, index);
  const notes: string[] = [];
  let state: SloState = { ...rule.state, evaluatedAtMs: nowMs };
  if ('problem' in total || 'problem' in good) {
    const reason = 'problem' in total ? total.problem : (good as { problem: string }).problem;
    // The figures as of the previous evaluation.
    return { result: sloResult(rule, state, nowMs, { status: 'no-data', counts: state.counted, ended: false, notes, reason }), state };
  }
  if (state.memory === null) {
    const memory = { good: remember(good.samples, nowMs), total: remember(total.samples, nowMs) };
    if (state.periodStartMs === null) {
      state = { ...state, memory, periodStartMs: nowMs, counted: { good: 0, total: 0 } };
      notes.push('baseline taken now: the SLI counts events from here on');
    } else {
      state = { ...state, memory };
      notes.push('counting series by series from now on: events since the previous evaluation are not counted');
    }
  } else {
    const g = increaseSince(state.memory.good, good.samples, nowMs);
    const t = increaseSince(state.memory.total, total.samples, nowMs);
    const counted = { good: state.counted.good + g.increase, total: state.counted.total + t.increase };
    state = { ...state, counted, memory: { good: g.memory, total: t.memory }, counterResets: state.counterResets + (g.resets + t.resets > 0 ? 1 : 0) };
    if (g.resets + t.resets > 0) {
      notes.push('counter reset (a series is lower than at the previous evaluation: its process restarted): it counts from 0, events counted before are kept, events between the previous evaluation and the restart are lost');
    }
  }
  const counts = state.counted;
  if (counts.good > counts.total) notes.push('good exceeds total: good should select a subset of the total’s events');
  const ended = nowMs - state.periodStartMs! >= windowSeconds(rule.window)! * 1000;
  if (ended) notes.push(`the ${rule.window} window has elapsed: these figures cover the period up to now, and a new period starts here`);
  const result = sloResult(rule, state, nowMs, { status: 'ok', counts, ended, notes });
  if (ended) state = { ...state, periodStartMs: nowMs, counted: { good: 0, total: 0 } };
  return { result, state };
}
