import { fieldError } from '../../../../common/validation';
import type { Row } from '../analytics-store';
import { columnMeans, featureMatrix, impute } from './dataset-source';
import { clusterPoints, squaredDistance } from './kmeans';
import { fitScaling, standardize } from './logistic';
import type { ClusterParams } from './ml-model.schema';
import { Prng } from './prng';

/** What `predict` needs to assign new rows: the standardisation and the centroids in standardised units. */
export interface ClustererParams {
  features: string[];
  means: number[];
  sds: number[];
  centroids: number[][];
}

/** Nearest centroid and the (standardised) distance to it, for each raw row. */
export function assignClusters(m: ClustererParams, raw: readonly (readonly number[])[]): { cluster: number; distance: number }[] {
  return standardize(impute(raw, m.means), m).map((p) => {
    let cluster = 0;
    let best = Infinity;
    m.centroids.forEach((c, k) => {
      const d = squaredDistance(p, c);
      if (d < best) [best, cluster] = [d, k];
    });
    return { cluster, distance: Math.sqrt(best) };
  });
}

/** k-means on standardised features (missing values filled with column means), k given or chosen by silhouette. */
export function trainClusterer(rows: readonly Row[], p: ClusterParams, sourceField: string) {
  const needed = (p.clusters ?? 2) + 1;
  if (rows.length < needed) throw fieldError(sourceField, `has ${rows.length} rows; clustering into ${p.clusters ?? '2..8'} clusters needs at least ${needed}`);
  const raw = featureMatrix(rows, p.features);
  const means = columnMeans(raw, p.features.length);
  const empty = means.findIndex((m) => Number.isNaN(m));
  if (empty >= 0) throw fieldError(`params.features.${empty}`, `column "${p.features[empty]}" has no values`);
  const filled = impute(raw, means);
  const sds = fitScaling(filled).sds;
  const x = standardize(filled, { means, sds });
  const choice = clusterPoints(x, { k: p.clusters, kRange: [2, 8], rng: new Prng(p.seed) });
  const model: ClustererParams = { features: p.features, means, sds, centroids: choice.result.centroids };
  const sizes = new Array<number>(choice.k).fill(0);
  for (const l of choice.result.labels) sizes[l]!++;
  const clusters = choice.result.centroids.map((c, k) => ({
    cluster: k,
    size: sizes[k]!,
    share: sizes[k]! / rows.length,
    centroid: Object.fromEntries(p.features.map((f, j) => [f, c[j]! * sds[j]! + means[j]!])),
  }));
  const metrics = {
    k: choice.k,
    silhouette: choice.silhouette,
    ...(choice.silhouetteByK ? { silhouetteByK: choice.silhouetteByK } : {}),
    silhouetteSample: choice.silhouetteSample,
    inertia: choice.result.inertia,
    iterations: choice.result.iterations,
    converged: choice.result.converged,
  };
  return { model, metrics, clusters, assignments: assignClusters(model, raw) };
}
