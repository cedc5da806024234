import { anomalyThreshold, detectAnomalies, detectPeriod } from '../../src/dawg/modules/analytics/ml/anomaly';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';

/** Daily values (a year unless `days` says otherwise): trend, weekly season, noise sd 2, and spikes at the given days. */
function series(seed: number, spikes: Record<number, number>, days = 365): number[] {
  const rng = new Prng(seed);
  const weekly = [0, 4, 6, 5, 3, -8, -10];
  return Array.from({ length: days }, (_, t) => 200 + 0.05 * t + weekly[t % 7]! + rng.normal(0, 2) + (spikes[t] ?? 0));
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

  it('raises a false alarm on about 1 − sensitivity of pure noise series, short or long', () => {
    // The share of spike-free series with any alarm: 5 % nominal at 0.95, 1 % at 0.99. With
    // the normal quantile (the scale's own error ignored) it was 9–11 % and 2–4 %.
    const share = (days: number, sensitivity: number) => {
      let alarmed = 0;
      for (let s = 0; s < 400; s++) if (detectAnomalies(series(5000 + s, {}, days), { sensitivity }).anomalies.length) alarmed++;
      return alarmed / 400;
    };
    for (const days of [90, 365]) {
      expect(share(days, 0.95)).toBeLessThanOrEqual(0.065);
      expect(share(days, 0.99)).toBeLessThanOrEqual(0.02);
    }
  });

  it('sets the bar by length, sensitivity and the seasonal offsets measured', () => {
    expect(anomalyThreshold(365, 0.99)).toBeGreaterThan(anomalyThreshold(365, 0.95));
    expect(anomalyThreshold(1000, 0.95)).toBeGreaterThan(anomalyThreshold(365, 0.95));
    // Fewer points behind the scale: a higher bar than the normal quantile's 3.81 for 365 points.
    expect(anomalyThreshold(365, 0.95)).toBeGreaterThan(3.85);
    expect(anomalyThreshold(365, 0.95)).toBeLessThan(3.95);
    expect(anomalyThreshold(90, 0.95, 7)).toBeGreaterThan(anomalyThreshold(90, 0.95));
  });

  it('detects no season in white noise', () => {
    const rng = new Prng(3);
    expect(detectPeriod(Array.from({ length: 200 }, () => rng.normal()))).toBeUndefined();
  });
});
