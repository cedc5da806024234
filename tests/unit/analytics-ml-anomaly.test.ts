import { anomalyThreshold, detectAnomalies, detectPeriod } from '../../src/dawg/modules/analytics/ml/anomaly';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';

/** A year of daily values: trend, weekly season, noise sd 2, and spikes at the given days. */
function series(seed: number, spikes: Record<number, number>): number[] {
  const rng = new Prng(seed);
  const weekly = [0, 4, 6, 5, 3, -8, -10];
  return Array.from({ length: 365 }, (_, t) => 200 + 0.05 * t + weekly[t % 7]! + rng.normal(0, 2) + (spikes[t] ?? 0));
}

describe('anomaly detection', () => {
  it('finds injected spikes in a noisy seasonal series with precision and recall ≥ 0.8', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = new Prng(1000 + seed);
      const spikes: Record<number, number> = {};
      while (Object.keys(spikes).length < 10) spikes[10 + rng.int(345)] = (rng.bernoulli(0.5) ? 1 : -1) * (16 + rng.next() * 14);
      const result = detectAnomalies(series(seed, spikes), { sensitivity: 0.95 });
      const found = new Set(result.anomalies.map((a) => a.index));
      const truth = Object.keys(spikes).map(Number);
      const tp = truth.filter((t) => found.has(t)).length;
      expect(result.period).toBe(7);
      expect(tp / found.size).toBeGreaterThanOrEqual(0.8);
      expect(tp / truth.length).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('reports value, expected value, score and direction of a spike', () => {
    const result = detectAnomalies(series(9, { 100: 30 }), { sensitivity: 0.95 });
    const spike = result.anomalies.find((a) => a.index === 100)!;
    expect(spike.direction).toBe('high');
    expect(spike.value - spike.expected).toBeGreaterThan(24);
    expect(spike.score).toBeGreaterThan(result.threshold);
    expect(result.scale).toBeGreaterThan(1.5);
    expect(result.scale).toBeLessThan(3);
  });

  it('raises few false alarms on pure noise, and a lower sensitivity raises the bar', () => {
    let alarms = 0;
    for (let s = 0; s < 20; s++) alarms += detectAnomalies(series(50 + s, {}), { sensitivity: 0.95 }).anomalies.length;
    expect(alarms).toBeLessThanOrEqual(4);
    expect(anomalyThreshold(365, 0.99)).toBeGreaterThan(anomalyThreshold(365, 0.95));
    expect(anomalyThreshold(365, 0.95)).toBeCloseTo(3.8, 1);
  });

  it('detects no season in white noise', () => {
    const rng = new Prng(3);
    expect(detectPeriod(Array.from({ length: 200 }, () => rng.normal()))).toBeUndefined();
  });
});
