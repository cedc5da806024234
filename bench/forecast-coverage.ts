/**
 * `npm run bench:forecast`: how often the forecast's nominal 90 % interval holds the value
 * 1–4 steps after the data, on Holt series simulated from the model's own kind (seeded: the
 * figures are the same on every run), for several series lengths: the state-space formula
 * alone against what `forecastSeries` answers (the wider of the formula and the bootstrap),
 * with the time one forecast takes. Prints figures only; exits 0.
 * Knobs: BENCH_FORECAST_SERIES (400 per length), BENCH_FORECAST_LENGTHS (10,20,30,60).
 */
import { etsForecast, forecastSeries } from '../src/dawg/modules/analytics/ml/forecast';
import { Prng } from '../src/dawg/modules/analytics/ml/prng';

const SERIES = Number(process.env.BENCH_FORECAST_SERIES ?? 400);
const LENGTHS = (process.env.BENCH_FORECAST_LENGTHS ?? '10,20,30,60').split(',').map(Number);
const HORIZON = 4;
if (!Number.isInteger(SERIES) || SERIES < 1 || LENGTHS.some((n) => !Number.isInteger(n) || n < 8)) {
  throw new Error('BENCH_FORECAST_SERIES must be a positive integer and BENCH_FORECAST_LENGTHS whole numbers of at least 8');
}

const pct = (hits: number[]) => hits.map((h) => `${Math.round((100 * h) / SERIES)} %`).join(' | ');

console.log(`Nominal 90 % intervals, ${SERIES} simulated Holt series per length (α in 0.1–0.9, β up to 0.3 α, σ 1)\n`);
console.log('| points | formula: 1 | 2 | 3 | 4 steps | answered: 1 | 2 | 3 | 4 steps | ms per forecast |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const n of LENGTHS) {
  const rng = new Prng(42 + n);
  const formulaHits = new Array<number>(HORIZON).fill(0);
  const answeredHits = new Array<number>(HORIZON).fill(0);
  let ms = 0;
  for (let s = 0; s < SERIES; s++) {
    const alpha = 0.1 + 0.8 * rng.next();
    const beta = alpha * 0.3 * rng.next();
    let level = 10;
    let trend = rng.normal(0, 0.5);
    const all: number[] = [];
    for (let t = 0; t < n + HORIZON; t++) {
      const e = rng.normal(0, 1);
      all.push(level + trend + e);
      level += trend + alpha * e;
      trend += beta * e;
    }
    const started = performance.now();
    const result = forecastSeries(all.slice(0, n), { horizon: HORIZON, confidence: 0.9 });
    ms += performance.now() - started;
    const formula = etsForecast(result.model, HORIZON, 0.9);
    for (let h = 0; h < HORIZON; h++) {
      const v = all[n + h]!;
      if (v >= formula[h]!.lower && v <= formula[h]!.upper) formulaHits[h]!++;
      if (v >= result.points[h]!.lower && v <= result.points[h]!.upper) answeredHits[h]!++;
    }
  }
  console.log(`| ${n} | ${pct(formulaHits)} | ${pct(answeredHits)} | ${(ms / SERIES).toFixed(1)} |`);
}
