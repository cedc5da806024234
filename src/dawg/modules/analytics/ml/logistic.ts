import { mean, sampleSd } from './stats';

/*
 * L2-regularised logistic regression fitted by Newton's method (IRLS) on standardised
 * features. No npm package fits: ml-logistic-regression uses fixed-step gradient descent
 * without a penalty and ml-matrix would be a dependency for one Cholesky solve. Newton
 * converges in a handful of steps, and the penalty keeps it finite when a feature separates
 * the classes perfectly.
 */

/** Column means and standard deviations; a constant column gets sd 1 so it standardises to 0. */
export interface Scaling {
  means: number[];
  sds: number[];
}

export function fitScaling(rows: readonly (readonly number[])[]): Scaling {
  const width = rows[0]?.length ?? 0;
  const means: number[] = [];
  const sds: number[] = [];
  for (let j = 0; j < width; j++) {
    const col = rows.map((r) => r[j]!);
    means.push(mean(col));
    const sd = sampleSd(col);
    sds.push(sd > 1e-12 ? sd : 1);
  }
  return { means, sds };
}

export function standardize(rows: readonly (readonly number[])[], s: Scaling): number[][] {
  return rows.map((r) => r.map((v, j) => (v - s.means[j]!) / s.sds[j]!));
}

export interface LogisticFit {
  intercept: number;
  /** One per (standardised) feature. */
  coefficients: number[];
  iterations: number;
  converged: boolean;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function predictLogit(fit: Pick<LogisticFit, 'intercept' | 'coefficients'>, row: readonly number[]): number {
  let z = fit.intercept;
  for (let j = 0; j < row.length; j++) z += fit.coefficients[j]! * row[j]!;
  return z;
}

/** Solves A·x = b for a symmetric positive definite A (Cholesky); A is not modified. */
export function choleskySolve(a: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const l = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (s <= 0) throw new RangeError('matrix is not positive definite');
        l[i]![i] = Math.sqrt(s);
      } else l[i]![j] = s / l[j]![j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** w[0] + Σ w[j+1]·row[j]: the logit with the intercept stored first. */
function linear(w: readonly number[], row: readonly number[]): number {
  let z = w[0]!;
  for (let j = 0; j < row.length; j++) z += w[j + 1]! * row[j]!;
  return z;
}

/** Penalised log-likelihood (the intercept is not penalised). */
function objective(x: readonly (readonly number[])[], y: readonly number[], w: readonly number[], l2: number): number {
  let ll = 0;
  x.forEach((row, i) => {
    const z = linear(w, row);
    // log(1 + e^z) computed without overflow.
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    ll += y[i]! * z - softplus;
  });
  let pen = 0;
  for (let j = 1; j < w.length; j++) pen += w[j]! ** 2;
  return ll - (l2 / 2) * pen;
}

/** One Newton direction: (XᵀWX + λI')⁻¹ ∇ on the design with a leading 1 column. */
function newtonStep(x: readonly (readonly number[])[], y: readonly number[], w: readonly number[], l2: number): number[] {
  const p = w.length;
  const h = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const g = new Array<number>(p).fill(0);
  const xi = new Array<number>(p);
  x.forEach((row, i) => {
    xi[0] = 1;
    for (let j = 1; j < p; j++) xi[j] = row[j - 1]!;
    const mu = sigmoid(linear(w, row));
    const weight = Math.max(mu * (1 - mu), 1e-12);
    const r = y[i]! - mu;
    for (let a = 0; a < p; a++) {
      g[a]! += r * xi[a]!;
      const wa = weight * xi[a]!;
      for (let b = 0; b <= a; b++) h[a]![b]! += wa * xi[b]!;
    }
  });
  for (let a = 0; a < p; a++) {
    if (a > 0) {
      h[a]![a]! += l2;
      g[a]! -= l2 * w[a]!;
    }
    for (let b = 0; b < a; b++) h[b]![a] = h[a]![b]!;
  }
  return choleskySolve(h, g);
}

/**
 * Fits on already standardised rows. Each Newton step is halved until the penalised
 * likelihood does not fall, which keeps the iteration monotone even from a poor start.
 */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: { l2?: number; maxIterations?: number; tolerance?: number } = {}): LogisticFit {
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-9;
  const width = x[0]?.length ?? 0;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, mean(y)));
  let w = [Math.log(rate / (1 - rate)), ...new Array<number>(width).fill(0)];
  let current = objective(x, y, w, l2);
  for (let it = 1; it <= maxIterations; it++) {
    const step = newtonStep(x, y, w, l2);
    let scale = 1;
    let next = w.map((v, j) => v + step[j]!);
    let value = objective(x, y, next, l2);
    while (value < current - 1e-12 && scale > 1e-6) {
      scale /= 2;
      next = w.map((v, j) => v + scale * step[j]!);
      value = objective(x, y, next, l2);
    }
    const change = Math.max(...step.map((s) => Math.abs(s * scale)));
    w = next;
    current = value;
    if (change < tolerance) return { intercept: w[0]!, coefficients: w.slice(1), iterations: it, converged: true };
  }
  return { intercept: w[0]!, coefficients: w.slice(1), iterations: maxIterations, converged: false };
}
