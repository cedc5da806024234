import type { Prng } from './prng';

/*
 * k-means with k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd iterations, plus the
 * silhouette. Written here rather than taken from ml-kmeans: its current major is ESM-only
 * (it does not load under this repo's CommonJS jest) and the older one brings four packages
 * and its own PRNG, where ours must draw from the caller's seeded Prng.
 */

export type Point = readonly number[];

export function squaredDistance(a: Point, b: Point): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j]! - b[j]!) ** 2;
  return s;
}

function nearest(p: Point, centroids: readonly Point[]): { index: number; d2: number } {
  let index = 0;
  let d2 = Infinity;
  centroids.forEach((c, i) => {
    const d = squaredDistance(p, c);
    if (d < d2) {
      d2 = d;
      index = i;
    }
  });
  return { index, d2 };
}

/** k-means++: each next centre is a point drawn with probability ∝ its squared distance to the nearest centre so far. */
export function kmeansPlusPlus(points: readonly Point[], k: number, rng: Prng): number[][] {
  const centroids: number[][] = [points[rng.int(points.length)]!.slice()];
  const d2 = points.map((p) => squaredDistance(p, centroids[0]!));
  while (centroids.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    // All remaining points coincide with a centre: any point will do.
    const idx = total > 0 ? pickWeighted(d2, total, rng) : rng.int(points.length);
    const c = points[idx]!.slice();
    centroids.push(c);
    points.forEach((p, i) => {
      d2[i] = Math.min(d2[i]!, squaredDistance(p, c));
    });
  }
  return centroids;
}

function pickWeighted(weights: readonly number[], total: number, rng: Prng): number {
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export interface KMeansResult {
  centroids: number[][];
  labels: number[];
  /** Sum of squared distances of points to their centroid. */
  inertia: number;
  iterations: number;
  converged: boolean;
}

/** Each point's nearest centroid, and the total squared distance. */
function assign(points: readonly Point[], centroids: readonly Point[]): { labels: number[]; d2: number[]; inertia: number } {
  const labels = new Array<number>(points.length);
  const d2 = new Array<number>(points.length);
  let inertia = 0;
  for (let i = 0; i < points.length; i++) {
    const n = nearest(points[i]!, centroids);
    labels[i] = n.index;
    d2[i] = n.d2;
    inertia += n.d2;
  }
  return { labels, d2, inertia };
}

/** Means of the points per label; an emptied cluster takes the point farthest from its centre. */
function recentre(points: readonly Point[], a: { labels: number[]; d2: number[] }, k: number): number[][] {
  const dims = points[0]!.length;
  const sums = Array.from({ length: k }, () => new Array<number>(dims).fill(0));
  const counts = new Array<number>(k).fill(0);
  points.forEach((p, i) => {
    const c = a.labels[i]!;
    counts[c]!++;
    for (let j = 0; j < dims; j++) sums[c]![j]! += p[j]!;
  });
  const taken = new Set<number>();
  return sums.map((s, c) => {
    if (counts[c]) return s.map((v) => v / counts[c]!);
    const far = a.d2.reduce((best, d, i) => (!taken.has(i) && d > (a.d2[best] ?? -1) ? i : best), -1);
    taken.add(far);
    return points[far]!.slice();
  });
}

/**
 * Lloyd iterations from one seeding, until the centroids move less than `tol` in total
 * (squared), as scikit-learn does: waiting for no label to change can take hundreds of
 * iterations on data without clear clusters, for no visible gain.
 */
function lloyd(points: readonly Point[], initial: number[][], maxIterations: number, tol: number): KMeansResult {
  let centroids = initial;
  let iterations = maxIterations;
  let converged = false;
  for (let it = 1; it <= maxIterations; it++) {
    const next = recentre(points, assign(points, centroids), initial.length);
    const shift = next.reduce((s, c, i) => s + squaredDistance(c, centroids[i]!), 0);
    centroids = next;
    if (shift <= tol) {
      [iterations, converged] = [it, true];
      break;
    }
  }
  const final = assign(points, centroids);
  return { centroids, labels: final.labels, inertia: final.inertia, iterations, converged };
}

/** Best of `restarts` seeded k-means++ runs (lowest inertia). Needs at least k points. */
export function kmeans(points: readonly Point[], k: number, rng: Prng, options: { restarts?: number; maxIterations?: number } = {}): KMeansResult {
  if (points.length < k) throw new RangeError(`k-means needs at least k=${k} points, got ${points.length}`);
  const dims = points[0]!.length;
  let variance = 0;
  for (let j = 0; j < dims; j++) {
    const col = points.map((p) => p[j]!);
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    variance += col.reduce((a, v) => a + (v - m) ** 2, 0) / col.length / dims;
  }
  const tol = 1e-4 * variance;
  let best: KMeansResult | undefined;
  for (let r = 0; r < (options.restarts ?? 3); r++) {
    const result = lloyd(points, kmeansPlusPlus(points, k, rng), options.maxIterations ?? 300, tol);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/** Euclidean distances between all pairs, row-major n×n. */
export function pairwiseDistances(points: readonly Point[]): Float64Array {
  const n = points.length;
  const dist = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.sqrt(squaredDistance(points[i]!, points[j]!));
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
  }
  return dist;
}

/**
 * Mean silhouette: (b − a) / max(a, b) per point, with a the mean distance to the rest of its
 * own cluster and b to the nearest other cluster; 0 for a point alone in its cluster.
 * Quadratic in the points, so callers pass a sample of large data.
 */
export function meanSilhouette(points: readonly Point[], labels: readonly number[], k: number): number {
  return silhouetteFromDistances(pairwiseDistances(points), labels, k);
}

/** The same from precomputed distances, so trying several k on one sample computes them once. */
export function silhouetteFromDistances(dist: Float64Array, labels: readonly number[], k: number): number {
  const n = labels.length;
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]!++;
  let total = 0;
  const sums = new Array<number>(k);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) sums[labels[j]!]! += dist[i * n + j]!;
    const own = labels[i]!;
    if (sizes[own]! < 2) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (Number.isFinite(b)) total += (b - a) / Math.max(a, b, 1e-300);
  }
  return n ? total / n : Number.NaN;
}

export interface ClusteringChoice {
  k: number;
  result: KMeansResult;
  /** Mean silhouette of the chosen k (on the sample). */
  silhouette: number;
  /** Mean silhouette per k tried, when k was chosen. */
  silhouetteByK?: Record<string, number>;
  /** Points the silhouette was measured on (all, or a seeded sample of large data). */
  silhouetteSample: number;
}

/** Points on which k is chosen: all of them up to this many, else a seeded sample. */
const SELECTION_SIZE = 5_000;

/**
 * Clusters with the given k, or tries each k in `kRange` and keeps the best mean silhouette.
 * The silhouette is measured on one seeded sample of at most `sampleSize` points, the same
 * for every k, so the comparison is fair and bounded in cost. On large data k is chosen on a
 * sample of 5,000 points, then the chosen k is fitted on all of them.
 */
export function clusterPoints(points: readonly Point[], options: { k?: number; kRange?: [number, number]; rng: Prng; sampleSize?: number }): ClusteringChoice {
  const order = points.length > Math.min(SELECTION_SIZE, options.sampleSize ?? 2_000) ? options.rng.shuffled(points.map((_, i) => i)) : points.map((_, i) => i);
  // The silhouette sample is the head of the selection sample, so labels of either serve.
  const silhouetteIdx = order.slice(0, Math.min(points.length, options.sampleSize ?? 2_000));
  const dist = pairwiseDistances(silhouetteIdx.map((i) => points[i]!));
  const silhouetteOfAll = (labels: readonly number[], k: number) => silhouetteFromDistances(dist, silhouetteIdx.map((i) => labels[i]!), k);
  if (options.k !== undefined) {
    const result = kmeans(points, options.k, options.rng);
    return { k: options.k, result, silhouette: silhouetteOfAll(result.labels, options.k), silhouetteSample: silhouetteIdx.length };
  }
  const selection = order.slice(0, Math.min(points.length, SELECTION_SIZE));
  const selectionPoints = selection.map((i) => points[i]!);
  const [lo, hi] = options.kRange ?? [2, 8];
  const tried: { k: number; result: KMeansResult; silhouette: number }[] = [];
  for (let k = lo; k <= Math.min(hi, points.length - 1); k++) {
    const result = kmeans(selectionPoints, k, options.rng);
    tried.push({ k, result, silhouette: silhouetteFromDistances(dist, result.labels.slice(0, silhouetteIdx.length), k) });
  }
  const best = tried.reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const silhouetteByK = Object.fromEntries(tried.map((t) => [String(t.k), t.silhouette]));
  if (selection.length === points.length) {
    // Selection ran on every point, in `order`: put the labels back in the points' order.
    const labels = new Array<number>(points.length);
    selection.forEach((i, pos) => (labels[i] = best.result.labels[pos]!));
    return { k: best.k, result: { ...best.result, labels }, silhouette: best.silhouette, silhouetteByK, silhouetteSample: silhouetteIdx.length };
  }
  const result = kmeans(points, best.k, options.rng);
  return { k: best.k, result, silhouette: silhouetteOfAll(result.labels, best.k), silhouetteByK, silhouetteSample: silhouetteIdx.length };
}
