import type { Prng } from '../ml';
import type { ChurnMonthlyRow } from './churn-contract';

/** Extra churn by calendar month (Jan … Dec), on the rate scale: January clear-outs, a summer lull's end, pre-holiday loyalty. */
const SEASONAL = [0.009, 0.0045, 0.0015, -0.0015, -0.003, -0.0015, 0.003, 0.0045, 0.0, -0.003, -0.006, -0.0075];

export interface MonthlyModel {
  /** Rate at the month after the series (t = 36) before seasonality. */
  base: number;
  /** Change of the rate per month. */
  slope: number;
}

/** The seed's own level and trend: a base around 5 % (sd 0.2 points) drifting by about −0.003 points a month. */
export function drawMonthlyModel(rng: Prng): MonthlyModel {
  return { base: 0.05 + rng.normal(0, 0.002), slope: rng.normal(-0.00003, 0.00002) };
}

/** First day of the month `k` months after the month of `ms` (UTC). */
export function monthStart(ms: number, k = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1);
}

/** Expected churn rate of month t (0 … 35 the series, 36 the month after it). */
export function expectedRate(model: MonthlyModel, monthMs: number, t: number): number {
  return model.base + model.slope * (t - 36) + SEASONAL[new Date(monthMs).getUTCMonth()]!;
}

/** A binomial draw by its normal approximation (n·p ≥ 50 here), kept within [0, n]. */
function binomial(rng: Prng, n: number, p: number): number {
  return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * rng.normal())));
}

/**
 * 36 months ending with the last complete month before `asOf`. The last month is tied to the
 * users table: of the users active at its start, those still here are the ones who signed up
 * before it (`survivors`), so active = survivors + churned. Earlier months go backwards with
 * ~1.2 % monthly net growth. Each month's churn is binomial around its expected rate, which
 * also wobbles by ±3 % (relative) from month to month.
 */
export function generateMonthly(rng: Prng, model: MonthlyModel, asOf: number, survivors: number): ChurnMonthlyRow[] {
  const rows: ChurnMonthlyRow[] = [];
  let active = 0;
  for (let t = 35; t >= 0; t--) {
    const month = monthStart(asOf, t - 36);
    const rate = Math.max(0.001, expectedRate(model, month, t) * Math.exp(rng.normal(0, 0.03)));
    let churned: number;
    if (t === 35) {
      active = Math.round(survivors / (1 - rate));
      churned = active - survivors;
    } else {
      active = Math.max(1, Math.round(active / (1 + rng.normal(0.012, 0.004))));
      churned = binomial(rng, active, rate);
    }
    rows.push({ month: new Date(month).toISOString().slice(0, 10), active_users: active, churned_users: churned, churn_rate: churned / active });
  }
  return rows.reverse();
}
