import type { CapabilityContext } from '../types';

/** The parts of the devops module's cost report that optimize-costs reads. */
export interface CostReport {
  status: string;
  total?: number;
  currency?: string | null;
  byGroup?: Array<{ key: string; amount: number; share: number; trendPerDay: number; changePercent: number | null }>;
  daily?: Array<{ date: string; amount: number }>;
}

export interface CostFinding {
  kind: 'largest' | 'growing';
  key: string;
  amount: number;
  share: number;
  changePercent: number | null;
  trendPerDay: number;
}

/**
 * Where to look first, from the report's own figures: the groups that make most of the bill
 * (together at least 80 %), and those growing fastest (over 20 % per day between the halves
 * of the period). Each finding carries the figures that caused it.
 */
export function costFindings(report: CostReport): CostFinding[] {
  const groups = report.byGroup ?? [];
  const findings: CostFinding[] = [];
  let covered = 0;
  for (const g of groups) {
    if (covered >= 0.8 || g.amount <= 0) break;
    findings.push({ kind: 'largest', key: g.key, amount: g.amount, share: g.share, changePercent: g.changePercent, trendPerDay: g.trendPerDay });
    covered += g.share;
  }
  for (const g of groups) {
    if (g.changePercent !== null && g.changePercent > 20 && g.trendPerDay > 0) findings.push({ kind: 'growing', key: g.key, amount: g.amount, share: g.share, changePercent: g.changePercent, trendPerDay: g.trendPerDay });
  }
  return findings;
}

/** Days the analytics models need at least (analytics.ml-model's own minimum for both kinds). */
export const MIN_ANALYSED_DAYS = 8;
/** Spike days a report names at most (the largest scores). */
const MAX_SPIKES = 10;

interface AnomalyAnswer {
  modelId: string;
  metrics: { threshold: number; period: number | null };
  anomalies: Array<{ t?: unknown; value: number; expected: number; score: number; direction: 'high' | 'low' }>;
}

interface ForecastAnswer {
  modelId: string;
  method: string;
  confidence: number;
  metrics: { holdout: { mae: number } };
  forecast: Array<{ t: unknown; yhat: number; lower: number; upper: number }>;
}

const cents = (n: number) => Math.round(n * 100) / 100;

export type DailyCostAnalysis =
  | { status: 'skipped'; reason: string }
  | {
      status: 'analysed';
      /** Days whose spend was well above what the days around them and the weekday predict. */
      spikes: Array<{ date: unknown; amount: number; expected: number; excess: number; score: number }>;
      /** The next days' spend as the analytics module forecasts it from the daily series. */
      projection: {
        days: number;
        total: number;
        method: string;
        holdoutMae: number | null;
        lastDay: { date: unknown; amount: number; lower: number; upper: number; confidence: number };
      };
      modelIds: { anomaly: string; forecast: string };
    };

/**
 * The daily total through the analytics module: unusual days (anomaly model: robust seasonal
 * residuals, so a weekday pattern is not a spike) and the spend of the next `horizonDays`
 * (forecast model). Both models are stored under the DAWG's model ids, like any other.
 */
export async function analyseDailyCosts(daily: ReadonlyArray<{ date: string; amount: number }>, horizonDays: number, ctx: Pick<CapabilityContext, 'call' | 'signal'>): Promise<DailyCostAnalysis> {
  if (daily.length < MIN_ANALYSED_DAYS) {
    return { status: 'skipped', reason: `the report has ${daily.length} days of costs; spikes and a projection need at least ${MIN_ANALYSED_DAYS} (raise lookbackDays)` };
  }
  const data = daily.map((d) => ({ date: d.date, amount: d.amount }));
  const anomaly = (await ctx.call('analytics', 'ml-model', { kind: 'anomaly', name: 'optimize-costs: daily spend', data, metric: 'amount', timeColumn: 'date', sensitivity: 0.95 })) as AnomalyAnswer;
  ctx.signal.throwIfAborted();
  const forecast = (await ctx.call('analytics', 'ml-model', {
    kind: 'forecast',
    name: 'optimize-costs: daily spend',
    data,
    timeColumn: 'date',
    targetColumn: 'amount',
    horizon: horizonDays,
    confidence: 0.9,
  })) as ForecastAnswer;
  const spikes = anomaly.anomalies
    .filter((a) => a.direction === 'high')
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_SPIKES)
    .map((a) => ({ date: a.t, amount: cents(a.value), expected: cents(a.expected), excess: cents(a.value - a.expected), score: Math.round(a.score * 10) / 10 }));
  const last = forecast.forecast[forecast.forecast.length - 1]!;
  return {
    status: 'analysed',
    spikes,
    projection: {
      days: forecast.forecast.length,
      // A bill cannot go below zero, whatever a falling trend says.
      total: cents(forecast.forecast.reduce((sum, f) => sum + Math.max(0, f.yhat), 0)),
      method: forecast.method,
      holdoutMae: Number.isFinite(forecast.metrics.holdout.mae) ? cents(forecast.metrics.holdout.mae) : null,
      lastDay: { date: last.t, amount: cents(Math.max(0, last.yhat)), lower: cents(Math.max(0, last.lower)), upper: cents(Math.max(0, last.upper)), confidence: forecast.confidence },
    },
    modelIds: { anomaly: anomaly.modelId, forecast: forecast.modelId },
  };
}
