/*
 * The audience's cohorts: explainable rules applied in order, each user in the first that
 * matches. The order follows what a retention marketer acts on first: users already gone
 * quiet, then the two known churn drivers of the scenario (a price rise, a competitor's
 * offer), then the relative usage signals (quartiles of the active audience), then plan.
 * Too many non-empty cohorts are merged smallest-first into a neighbour in this order, so a
 * merged cohort's rule still reads as one condition ("A or B").
 */

export interface Thresholds {
  /** Upper quartile of days since last activity among the active audience: "lapsing" at or above. */
  lapsingRecencyDays: number | null;
  /** Lower quartile of sessions in the window among the active audience: "low usage" at or below. */
  lowUsageSessions: number | null;
}

interface Candidate {
  name: string;
  rule(t: Thresholds, lookbackDays: number): string;
  /** SQL condition over seg_features' columns; thresholds inlined as numeric literals. */
  condition(t: Thresholds): string;
}

const num = (x: number | null) => (x !== null && Number.isFinite(x) ? String(x) : 'NULL');

const CANDIDATES: readonly Candidate[] = [
  { name: 'dormant', rule: (_t, days) => `no activity in the last ${days} days`, condition: () => 'NOT active' },
  { name: 'price-raised', rule: () => 'price rose in the last 60 days (price_increased)', condition: () => 'coalesce(price_increased, false)' },
  { name: 'competitor-offer', rule: () => 'exposed to a competitor offer (competitor_offer)', condition: () => 'coalesce(competitor_offer, false)' },
  {
    name: 'lapsing',
    rule: (t) => `last active ${t.lapsingRecencyDays ?? '—'} or more days ago (upper quartile of the active audience)`,
    condition: (t) => `recency_days >= ${num(t.lapsingRecencyDays)}`,
  },
  {
    name: 'low-usage',
    rule: (t, days) => `${t.lowUsageSessions ?? '—'} or fewer sessions in the last ${days} days (lower quartile of the active audience)`,
    condition: (t) => `sessions <= ${num(t.lowUsageSessions)}`,
  },
  { name: 'free-plan', rule: () => "on the free plan (plan = 'free')", condition: () => "plan = 'free'" },
  { name: 'paid-engaged', rule: () => 'everyone else: active paying users', condition: () => 'true' },
];

/** SQL giving each seg_features row the index of the first candidate it matches. */
export function candidateSql(t: Thresholds): string {
  const whens = CANDIDATES.map((c, i) => `WHEN coalesce(${c.condition(t)}, false) THEN ${i}`).join(' ');
  return `CASE ${whens} END`;
}

/** Per-candidate sums from SQL, so merged cohorts' means are exact weighted means. */
export interface CandidateSums {
  candidate: number;
  size: number;
  recency_sum: number;
  recency_n: number;
  sessions_sum: number;
  minutes_sum: number;
  price_raised: number;
  competitor: number;
  probability_sum: number;
  probability_n: number;
}

export interface Cohort {
  name: string;
  rule: string;
  /** Indexes of the candidates merged into this cohort, in rule order. */
  candidates: number[];
  sums: CandidateSums[];
  size: number;
}

/**
 * Non-empty candidates merged until at most `max` remain: the smallest (the later on a tie)
 * joins the smaller of its neighbours in rule order (the earlier on a tie).
 */
export function mergeCohorts(sums: readonly CandidateSums[], max: number, t: Thresholds, lookbackDays: number): Cohort[] {
  const cohorts: Cohort[] = [...sums]
    .filter((s) => s.size > 0)
    .sort((a, b) => a.candidate - b.candidate)
    .map((s) => {
      const c = CANDIDATES[s.candidate]!;
      return { name: c.name, rule: c.rule(t, lookbackDays), candidates: [s.candidate], sums: [s], size: s.size };
    });
  while (cohorts.length > max) {
    let i = 0;
    cohorts.forEach((c, k) => {
      if (c.size <= cohorts[i]!.size) i = k;
    });
    const before = cohorts[i - 1];
    const after = cohorts[i + 1];
    const j = before && (!after || before.size <= after.size) ? i - 1 : i + 1;
    const [first, second] = j < i ? [cohorts[j]!, cohorts[i]!] : [cohorts[i]!, cohorts[j]!];
    const merged: Cohort = {
      name: `${first.name}+${second.name}`,
      rule: `${first.rule} OR ${second.rule}`,
      candidates: [...first.candidates, ...second.candidates],
      sums: [...first.sums, ...second.sums],
      size: first.size + second.size,
    };
    cohorts.splice(Math.min(i, j), 2, merged);
  }
  return cohorts;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const mean = (sum: number, n: number, digits = 2) => (n > 0 ? round(sum / n, digits) : null);

/** A cohort's feature means; churnProbability only when the audience came with scores. */
export function cohortMeans(c: Cohort, withScores: boolean) {
  const total = (key: keyof CandidateSums) => c.sums.reduce((acc, s) => acc + s[key], 0);
  return {
    recencyDays: mean(total('recency_sum'), total('recency_n')),
    sessions: mean(total('sessions_sum'), c.size),
    minutes: mean(total('minutes_sum'), c.size),
    priceIncreasedShare: mean(total('price_raised'), c.size, 4),
    competitorOfferShare: mean(total('competitor'), c.size, 4),
    ...(withScores ? { churnProbability: mean(total('probability_sum'), total('probability_n'), 4) } : {}),
  };
}
