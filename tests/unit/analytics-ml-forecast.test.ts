import { etsForecast, fitEts, forecastSeries } from '../../src/dawg/modules/analytics/ml/forecast';
import { futureTime, readTimeAxis, suggestedPeriod } from '../../src/dawg/modules/analytics/ml/forecast-time';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';

const seasonal = [3, -1, -4, 2, 0, 5, -2, -3, 1, 4, -5, 0];

describe('exponential smoothing', () => {
  it('Holt continues an exact linear trend exactly', () => {
    const y = Array.from({ length: 20 }, (_, t) => 5 + 2 * t);
    const model = fitEts(y);
    const points = etsForecast(model, 3, 0.95);
    expect(points.map((p) => p.yhat)).toEqual([expect.closeTo(45, 6), expect.closeTo(47, 6), expect.closeTo(49, 6)]);
    expect(model.sigma).toBeLessThan(1e-6);
  });

  it('Holt-Winters continues an exact trend + season exactly', () => {
    const y = Array.from({ length: 48 }, (_, t) => 100 + 0.5 * t + seasonal[t % 12]!);
    const model = fitEts(y, 12);
    const points = etsForecast(model, 12, 0.9);
    points.forEach((p, i) => expect(p.yhat).toBeCloseTo(100 + 0.5 * (48 + i) + seasonal[(48 + i) % 12]!, 4));
  });

  it('intervals allow for σ being estimated: on short series a 90 % interval covers nearly 90 % one step ahead', () => {
    // 400 Holt series of 12 points from the model's own kind (seeded: the figure is fixed).
    const rng = new Prng(7);
    let covered = 0;
    for (let s = 0; s < 400; s++) {
      const alpha = 0.1 + 0.6 * rng.next();
      const beta = alpha * 0.3 * rng.next();
      let level = 10;
      let trend = rng.normal(0, 0.5);
      const y: number[] = [];
      for (let t = 0; t <= 12; t++) {
        const e = rng.normal(0, 1);
        y.push(level + trend + e);
        level += trend + alpha * e;
        trend += beta * e;
      }
      const [p] = etsForecast(fitEts(y.slice(0, 12)), 1, 0.9);
      if (y[12]! >= p!.lower && y[12]! <= p!.upper) covered++;
    }
    // Student's t with 12 − 4 degrees of freedom: 82 %; the normal quantile gave 77 % here.
    expect(covered / 400).toBeGreaterThanOrEqual(0.8);
  });

  it("adds the weights' uncertainty on short non-seasonal series: wider further ahead, never narrower than the formula", () => {
    // Coverage is measured by `npm run bench:forecast` (400 series per length): on 20-point
    // series a nominal 90 % interval 4 steps ahead held the value 79 % of the time by the
    // formula, 88 % with the bootstrap.
    const rng = new Prng(11);
    let level = 10;
    let trend = 0.3;
    const y: number[] = [];
    for (let t = 0; t < 20; t++) {
      const e = rng.normal(0, 1);
      y.push(level + trend + e);
      level += trend + 0.6 * e;
      trend += 0.1 * e;
    }
    const result = forecastSeries(y, { horizon: 6, confidence: 0.9 });
    expect(result.intervals).toBe('bootstrap');
    const formula = etsForecast(result.model, 6, 0.9);
    const width = (p: { lower: number; upper: number }) => p.upper - p.lower;
    result.points.forEach((p, i) => {
      expect(p.yhat).toBe(formula[i]!.yhat);
      expect(p.lower).toBeLessThanOrEqual(formula[i]!.lower);
      expect(p.upper).toBeGreaterThanOrEqual(formula[i]!.upper);
    });
    expect(width(result.points[5]!)).toBeGreaterThan(1.1 * width(formula[5]!));
    // Reproducible: the bootstrap is seeded from the data.
    expect(forecastSeries(y, { horizon: 6, confidence: 0.9 }).points).toEqual(result.points);
    // Seasonal models keep the formula (a hundred seasonal refits would take seconds).
    const seasonalY = Array.from({ length: 48 }, (_, t) => 100 + seasonal[t % 12]! * 3 + rng.normal(0, 1));
    expect(forecastSeries(seasonalY, { horizon: 3, confidence: 0.9, period: 12, forceSeasonal: true }).intervals).toBe('formula');
  });

  it('intervals widen with the horizon and with the confidence', () => {
    const rng = new Prng(2);
    const y = Array.from({ length: 60 }, (_, t) => 50 + 0.3 * t + seasonal[t % 12]! + rng.normal(0, 1));
    const model = fitEts(y, 12);
    const p95 = etsForecast(model, 24, 0.95);
    const p80 = etsForecast(model, 24, 0.8);
    const width = (p: { lower: number; upper: number }) => p.upper - p.lower;
    expect(width(p95[23]!)).toBeGreaterThan(width(p95[0]!));
    expect(width(p95[0]!)).toBeGreaterThan(width(p80[0]!));
    // The one-step 95 % half-width is t(0.975) σ with σ's 60 − 16 degrees of freedom (weights 3,
    // level, trend, 11 seasonal terms): 2.0154 σ, wider than the normal's 1.96 σ.
    expect(model.n).toBe(60);
    expect(width(p95[0]!) / 2).toBeCloseTo(2.015368 * model.sigma, 5);
    expect(model.sigma).toBeGreaterThan(0.7);
    expect(model.sigma).toBeLessThan(1.5);
  });

  it('picks Holt-Winters for a seasonal series by holdout error, Holt for a plain trend', () => {
    const rng = new Prng(4);
    const seasonalY = Array.from({ length: 48 }, (_, t) => 100 + seasonal[t % 12]! * 3 + rng.normal(0, 1));
    const s = forecastSeries(seasonalY, { horizon: 6, confidence: 0.95, period: 12 });
    expect(s.model.method).toBe('holt-winters-additive');
    expect(s.holdout.size).toBe(10);
    expect(s.holdout.mape!).toBeLessThan(3);
    expect(s.candidates.map((c) => c.method)).toEqual(['holt-linear', 'holt-winters-additive']);
    const trendY = Array.from({ length: 30 }, (_, t) => 10 + t + rng.normal(0, 0.2));
    expect(forecastSeries(trendY, { horizon: 5, confidence: 0.95 }).model.method).toBe('holt-linear');
  });

  it('95 % one-step intervals cover the next value about 95 % of the time', () => {
    let covered = 0;
    const trials = 200;
    for (let s = 0; s < trials; s++) {
      const rng = new Prng(100 + s);
      const y = Array.from({ length: 41 }, (_, t) => 20 + 0.2 * t + rng.normal(0, 1));
      const [p] = etsForecast(fitEts(y.slice(0, 40)), 1, 0.95);
      if (y[40]! >= p!.lower && y[40]! <= p!.upper) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.88);
  });
});

describe('time axis', () => {
  it('reads monthly dates, sorts rows and emits ISO dates', () => {
    const axis = readTimeAxis(['2026-03-01T00:00:00.000Z', '2026-01-01', '2026-02-01']);
    if (!axis.ok) throw new Error(axis.message);
    expect(axis.order).toEqual([1, 2, 0]);
    expect(axis.step).toEqual({ unit: 'month', step: 1, dateOnly: true });
    expect(suggestedPeriod(axis.step)).toBe(12);
    expect(futureTime('2026-03-01T00:00:00.000Z', axis.step, 10)).toBe('2027-01-01');
  });

  it('reads daily timestamps and numeric indices', () => {
    const daily = readTimeAxis(['2026-01-01T06:00:00Z', '2026-01-02T06:00:00Z', '2026-01-03T06:00:00Z']);
    if (!daily.ok) throw new Error(daily.message);
    expect(suggestedPeriod(daily.step)).toBe(7);
    expect(futureTime('2026-01-03T06:00:00Z', daily.step, 2)).toBe('2026-01-05T06:00:00.000Z');
    const numeric = readTimeAxis([1, 3, 5]);
    if (!numeric.ok) throw new Error(numeric.message);
    expect(futureTime(5, numeric.step, 3)).toBe(11);
  });

  it('refuses gaps, duplicates and non-times with a reason', () => {
    expect(readTimeAxis(['2026-01-01', '2026-01-02', '2026-01-05'])).toMatchObject({ ok: false, message: expect.stringContaining('not evenly spaced') });
    expect(readTimeAxis([1, 2, 2])).toMatchObject({ ok: false, message: expect.stringContaining('duplicate') });
    expect(readTimeAxis(['soon', '2026-01-02'])).toMatchObject({ ok: false, message: expect.stringContaining('row 1') });
  });
});
