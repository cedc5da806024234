import { clusterPoints, kmeans, kmeansPlusPlus, meanSilhouette } from '../../src/dawg/modules/analytics/ml/kmeans';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';

/** Three round blobs of `each` points around the given centres, sd 0.5. */
function blobs(each: number, seed: number, centres = [[0, 0], [8, 0], [4, 7]]): { points: number[][]; truth: number[] } {
  const rng = new Prng(seed);
  const points: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < each; i++) {
    centres.forEach((c, label) => {
      points.push([c[0]! + rng.normal(0, 0.5), c[1]! + rng.normal(0, 0.5)]);
      truth.push(label);
    });
  }
  return { points, truth };
}

describe('k-means', () => {
  it('chooses k = 3 on three well-separated blobs with silhouette > 0.5, and recovers them', () => {
    const { points, truth } = blobs(100, 5);
    const choice = clusterPoints(points, { rng: new Prng(1) });
    expect(choice.k).toBe(3);
    expect(choice.silhouette).toBeGreaterThan(0.5);
    expect(Object.keys(choice.silhouetteByK!)).toEqual(['2', '3', '4', '5', '6', '7', '8']);
    expect(Math.max(...Object.values(choice.silhouetteByK!))).toBe(choice.silhouette);
    // Every true blob maps to exactly one cluster.
    for (let label = 0; label < 3; label++) {
      const assigned = new Set(choice.result.labels.filter((_, i) => truth[i] === label));
      expect(assigned.size).toBe(1);
    }
    const centres = choice.result.centroids.map((c) => c.map((v) => Math.round(v) + 0)).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(centres).toEqual([[0, 0], [4, 7], [8, 0]]);
  });

  it('is deterministic for a seed', () => {
    const { points } = blobs(50, 2);
    const a = kmeans(points, 4, new Prng(9));
    const b = kmeans(points, 4, new Prng(9));
    expect(a.labels).toEqual(b.labels);
    expect(a.inertia).toBe(b.inertia);
  });

  it('k-means++ picks distinct centres when points coincide in groups', () => {
    const points = [[0, 0], [0, 0], [0, 0], [10, 10], [10, 10], [20, 0]];
    const centres = kmeansPlusPlus(points, 3, new Prng(4)).map((c) => c.join(','));
    expect(new Set(centres).size).toBe(3);
  });

  it('silhouette of a known layout', () => {
    // Two pairs on a line: {0,1} and {10,11}. Point 0: a = 1, b = mean(10, 11) = 10.5 → s = 1 − 1/10.5.
    const s = meanSilhouette([[0], [1], [10], [11]], [0, 0, 1, 1], 2);
    const expected = (1 - 1 / 10.5 + (1 - 1 / 9.5)) / 2;
    expect(s).toBeCloseTo(expected, 12);
    // A point alone in its cluster counts 0.
    expect(meanSilhouette([[0], [1], [5]], [0, 0, 1], 2)).toBeCloseTo(((1 - 1 / 5) + (1 - 1 / 4)) / 3, 12);
  });
});
