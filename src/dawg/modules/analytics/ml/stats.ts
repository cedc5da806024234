import { jStat } from 'jstat';

/*
 * Small descriptive statistics over plain arrays, and the normal and Student t quantiles from
 * jstat (one dependency-free package, within ~1e-8 of tabulated values): simple-statistics'
 * probit is off by ~3e-3 at 0.975, and @stdlib's t quantile brings over 200 packages.
 */

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : Number.NaN;
}

/** Sample standard deviation (n − 1). */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation scaled by 1.4826, so it estimates σ for normal data yet ignores outliers. */
export function robustScale(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

/**
 * Centered rolling median; the window shrinks at the ends rather than padding. With
 * `excludeCentre` each point's median is taken over its neighbours only, so a point never
 * explains itself (a residual against its own median is exactly 0 for one point in a window,
 * which would shrink any scale measured from the residuals).
 */
export function rollingMedian(xs: readonly number[], window: number, excludeCentre = false): number[] {
  const half = Math.floor(window / 2);
  return xs.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(xs.length, i + half + 1);
    return median(excludeCentre ? [...xs.slice(lo, i), ...xs.slice(i + 1, hi)] : xs.slice(lo, hi));
  });
}

/**
 * For each element, the median of all the others: one sort, then each answer is read off the
 * sorted order by the element's rank.
 */
export function leaveOneOutMedians(xs: readonly number[]): number[] {
  const m = xs.length;
  if (m < 2) return xs.map(() => Number.NaN);
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const sorted = order.map((i) => xs[i]!);
  const rank = new Array<number>(m);
  order.forEach((i, r) => (rank[i] = r));
  // The k-th smallest of the others: skip the element's own rank.
  const kth = (k: number, own: number) => sorted[k < own ? k : k + 1]!;
  return xs.map((_, i) => {
    const n = m - 1;
    const own = rank[i]!;
    return n % 2 ? kth((n - 1) / 2, own) : (kth(n / 2 - 1, own) + kth(n / 2, own)) / 2;
  });
}

/** Φ⁻¹(p): the standard normal quantile, for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  return jStat.normal.inv(p, 0, 1);
}

/** The quantile of Student's t with `dof` (> 0, need not be whole) degrees of freedom, for 0 < p < 1. */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1, got ${p}`);
  if (!(dof > 0)) throw new RangeError(`studentTQuantile needs dof > 0, got ${dof}`);
  return jStat.studentt.inv(p, dof);
}
