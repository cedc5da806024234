/*
 * Small descriptive statistics over plain arrays, and the normal quantile. The quantile is
 * Wichura's AS 241 (PPND16, relative error ~1e-16): simple-statistics' probit is off by
 * ~3e-3 at 0.975 and @stdlib's brings 128 packages for one function.
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

const A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925];
const C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

function poly(coefs: readonly number[], x: number): number {
  let v = 0;
  for (let i = coefs.length - 1; i >= 0; i--) v = v * x + coefs[i]!;
  return v;
}

/** Φ⁻¹(p): the standard normal quantile, for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(A, r)) / poly(B, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const v = r <= 5 ? poly(C, r - 1.6) / poly(D, r - 1.6) : poly(E, r - 5) / poly(F, r - 5);
  return q < 0 ? -v : v;
}
