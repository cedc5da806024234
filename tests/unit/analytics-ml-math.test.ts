import { permutationImportance } from '../../src/dawg/modules/analytics/ml/importance';
import { choleskySolve, fitLogistic, fitScaling, predictLogit, sigmoid, standardize } from '../../src/dawg/modules/analytics/ml/logistic';
import { auc, classificationMetrics, forecastErrors } from '../../src/dawg/modules/analytics/ml/metrics';
import { Prng } from '../../src/dawg/modules/analytics/ml/prng';
import { leaveOneOutMedians, mean, median, normalQuantile, robustScale, rollingMedian, sampleSd, studentTQuantile } from '../../src/dawg/modules/analytics/ml/stats';

describe('stats', () => {
  it('normalQuantile matches tabulated values', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489004, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 8);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it("studentTQuantile matches tabulated values and tends to the normal's", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174698, 6);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281388519649385, 7);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032142983557536, 7);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.2281388519649385, 7);
    // Fractional degrees of freedom lie between their whole neighbours.
    const between = studentTQuantile(0.9999, 30.5);
    expect(between).toBeLessThan(studentTQuantile(0.9999, 30));
    expect(between).toBeGreaterThan(studentTQuantile(0.9999, 31));
    expect(studentTQuantile(0.9999, 1e6)).toBeCloseTo(normalQuantile(0.9999), 4);
    expect(() => studentTQuantile(0, 5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
  });

  it('median, sample sd, robust scale and rolling median', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935, 8);
    // One wild value does not move the robust scale: MAD of [1,2,3,4,1000] is 1.
    expect(robustScale([1, 2, 3, 4, 1000])).toBeCloseTo(1.4826, 10);
    expect(rollingMedian([1, 100, 3, 4, 5], 3)).toEqual([50.5, 3, 4, 4, 4.5]);
    // Without the centre: a spike's expectation comes from its neighbours only.
    expect(rollingMedian([1, 100, 3, 4, 5], 3, true)).toEqual([100, 2, 52, 4, 4]);
  });

  it('leave-one-out medians equal the median of the others, for odd and even counts', () => {
    const xs = [7, 1, 4, 9, 2, 2];
    expect(leaveOneOutMedians(xs)).toEqual(xs.map((_, i) => median(xs.filter((__, j) => j !== i))));
    const ys = [3, 8, 1, 5, 5];
    expect(leaveOneOutMedians(ys)).toEqual(ys.map((_, i) => median(ys.filter((__, j) => j !== i))));
    expect(leaveOneOutMedians([4])[0]).toBeNaN();
  });
});

describe('Prng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const c = new Prng(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniform, normal and Poisson values with the right moments', () => {
    const r = new Prng(1);
    const u = Array.from({ length: 20_000 }, () => r.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    const z = Array.from({ length: 20_000 }, () => r.normal(10, 2));
    expect(mean(z)).toBeCloseTo(10, 1);
    expect(sampleSd(z)).toBeCloseTo(2, 1);
    const p = Array.from({ length: 20_000 }, () => r.poisson(4));
    expect(mean(p)).toBeCloseTo(4, 1);
    expect(sampleSd(p) ** 2).toBeCloseTo(4, 0);
    expect(r.shuffled([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('metrics', () => {
  it('auc counts pairs with ties as one half', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([0.9, 0.1], [0, 1])).toBe(0);
    expect(auc([0.2, 0.3], [1, 1])).toBeNaN();
  });

  it('threshold metrics from a known confusion matrix', () => {
    const m = classificationMetrics([0.9, 0.8, 0.3, 0.6, 0.1, 0.2], [1, 1, 1, 0, 0, 0]);
    expect(m.confusion).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.baseRate).toBe(0.5);
  });

  it('forecast errors skip zero actuals in MAPE', () => {
    expect(forecastErrors([10, 0, 20], [12, 1, 15])).toEqual({ mae: 8 / 3, rmse: Math.sqrt(30 / 3), mape: (100 * (0.2 + 0.25)) / 2 });
    expect(forecastErrors([0], [1]).mape).toBeNull();
  });
});

describe('logistic regression', () => {
  it('choleskySolve solves a known SPD system', () => {
    const x = choleskySolve([[4, 12, -16], [12, 37, -43], [-16, -43, 98]], [1, 2, 3]);
    expect(x[0]).toBeCloseTo(28.58333333, 6);
    expect(x[1]).toBeCloseTo(-7.66666667, 6);
    expect(x[2]).toBeCloseTo(1.33333333, 6);
  });

  it('with a negligible penalty reproduces the closed-form MLE of one binary feature', () => {
    // x=0: 3 of 10 positive; x=1: 8 of 10. MLE: intercept = logit(0.3), slope = logit(0.8) − logit(0.3).
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 10; i++) x.push([0]), y.push(i < 3 ? 1 : 0);
    for (let i = 0; i < 10; i++) x.push([1]), y.push(i < 8 ? 1 : 0);
    const fit = fitLogistic(x, y, { l2: 1e-10 });
    const logit = (p: number) => Math.log(p / (1 - p));
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(logit(0.3), 6);
    expect(fit.coefficients[0]).toBeCloseTo(logit(0.8) - logit(0.3), 6);
  });

  it('recovers simulated coefficients, and the penalty keeps separable data finite', () => {
    const rng = new Prng(3);
    const raw = Array.from({ length: 6_000 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const labels = raw.map((r) => (rng.next() < sigmoid(-1 + 1.5 * r[0]! - 0.8 * r[1]!) ? 1 : 0));
    const fit = fitLogistic(raw, labels, { l2: 1e-6 });
    expect(fit.intercept).toBeCloseTo(-1, 0);
    expect(Math.abs(fit.coefficients[0]! - 1.5)).toBeLessThan(0.12);
    expect(Math.abs(fit.coefficients[1]! + 0.8)).toBeLessThan(0.1);
    expect(Math.abs(fit.coefficients[2]!)).toBeLessThan(0.1);
    const separable = fitLogistic([[-2], [-1], [1], [2]], [0, 0, 1, 1], { l2: 1 });
    expect(Number.isFinite(separable.coefficients[0])).toBe(true);
    expect(separable.coefficients[0]).toBeGreaterThan(0);
  });

  it('standardises with training means and sds; a constant column maps to 0', () => {
    const s = fitScaling([[1, 5], [3, 5]]);
    expect(s.means).toEqual([2, 5]);
    expect(s.sds[1]).toBe(1);
    expect(standardize([[3, 5]], s)[0]).toEqual([1 / Math.SQRT2, 0]);
  });
});

describe('permutation importance', () => {
  it('gives the signal feature nearly all the share, a group jointly, and shares sum to 1', () => {
    const rng = new Prng(11);
    const rows = Array.from({ length: 2_000 }, () => [rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
    const labels = rows.map((r) => (rng.next() < sigmoid(2 * r[0]! + r[1]! + r[2]!) ? 1 : 0));
    const model = { intercept: 0, coefficients: [2, 1, 1, 0] };
    const result = permutationImportance({
      rows,
      labels,
      score: (r) => predictLogit(model, r),
      units: [{ name: 'a', columns: [0] }, { name: 'bc', columns: [1, 2] }, { name: 'noise', columns: [3] }],
      rng: new Prng(1),
    });
    const byName = Object.fromEntries(result.units.map((u) => [u.name, u]));
    expect(result.baselineAuc).toBeGreaterThan(0.8);
    expect(byName.noise!.share).toBe(0);
    expect(byName.a!.share).toBeGreaterThan(byName.bc!.share);
    expect(byName.bc!.share).toBeGreaterThan(0.2);
    expect(result.units.reduce((s, u) => s + u.share, 0)).toBeCloseTo(1, 12);
  });
});
