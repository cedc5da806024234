import { leaveOneOutMedians, median, robustScale, rollingMedian, studentTQuantile } from './stats';

/*
 * Robust anomaly detection on an ordered series. The expected value of each point is a
 * rolling-median trend plus, when the series repeats with a period, the median seasonal
 * offset for its phase (a robust cousin of STL). The residual's robust z-score (residual /
 * 1.4826·MAD) flags a point when it exceeds the threshold. Medians everywhere, so the spikes
 * being looked for do not pull the expectation or the scale towards themselves.
 */

export interface AnomalyPoint {
  index: number;
  value: number;
  expected: number;
  /** |value − expected| in robust standard deviations. */
  score: number;
  direction: 'high' | 'low';
}

export interface AnomalyResult {
  /** Detected season length (undefined: none found). */
  period: number | undefined;
  /** Score above which a point is anomalous. */
  threshold: number;
  /** Robust standard deviation of the residuals. */
  scale: number;
  expected: number[];
  anomalies: AnomalyPoint[];
}

/**
 * Degrees of freedom of a scale measured as 1.4826·MAD of n residuals: for Gaussian data its
 * variance is about 1.36·σ²/n (asymptotic efficiency 37 %), which a sample standard deviation
 * reaches with 0.37·n degrees of freedom.
 */
const MAD_DOF_PER_POINT = 0.37;

/**
 * The threshold for a series of n points: Bonferroni over the points, so that pure Gaussian
 * noise of this length raises any false alarm with probability about 1 − sensitivity. The
 * scores divide by a scale measured from the same series, whose error makes large scores more
 * likely than the normal law says (with the normal quantile, 8–11 % of noise series of 90 to
 * 365 points raised an alarm at sensitivity 0.95). So the quantile is Student's t with the
 * MAD's degrees of freedom, less one per seasonal offset measured (`period`); measured on
 * noise series of 90 to 1,000 points, 4–6 % at 0.95 and about 1 % at 0.99.
 */
export function anomalyThreshold(n: number, sensitivity: number, period = 0): number {
  const dof = Math.max(1, MAD_DOF_PER_POINT * (n - period));
  return studentTQuantile(1 - (1 - sensitivity) / (2 * n), dof);
}

function autocorrelation(x: readonly number[], lag: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    den += x[i]! ** 2;
    if (i + lag < x.length) num += x[i]! * x[i + lag]!;
  }
  return den > 0 ? num / den : 0;
}

/**
 * The season of the series. `preferred` (what the time spacing suggests, e.g. 7 for days) is
 * taken when the series holds four of them and its autocorrelation is significant (≥ 2/√n).
 * Otherwise the lag in 2..n/4 (at most 400) with the strongest autocorrelation of the
 * detrended, clipped series, if it is a local peak ≥ max(0.3, 2.5/√n); else none. The √n
 * bounds keep noise from passing as a season in short series; four seasons at least because
 * each phase's offset is a median over the seasons, and a median of two or three is noise.
 */
export function detectPeriod(values: readonly number[], preferred?: number): number | undefined {
  const n = values.length;
  const maxLag = Math.min(400, Math.floor(n / 4));
  if (maxLag < 2) return undefined;
  const trend = rollingMedian(values, 2 * Math.min(15, Math.floor(n / 8)) + 1);
  const detr = values.map((v, i) => v - trend[i]!);
  const centre = median(detr);
  const s = robustScale(detr) || 1;
  // Clipping at 3σ keeps a few large spikes from dominating the correlations.
  const clipped = detr.map((v) => Math.max(-3 * s, Math.min(3 * s, v - centre)));
  if (preferred !== undefined && preferred >= 2 && preferred <= maxLag && autocorrelation(clipped, preferred) >= 2 / Math.sqrt(n)) return preferred;
  const acf = [0, 0];
  for (let lag = 2; lag <= maxLag + 1; lag++) acf.push(autocorrelation(clipped, lag));
  const floor = Math.max(0.3, 2.5 / Math.sqrt(n));
  let best: number | undefined;
  for (let lag = 2; lag <= maxLag; lag++) {
    const peak = acf[lag]! >= acf[lag - 1]! && acf[lag]! >= acf[lag + 1]!;
    if (peak && acf[lag]! >= floor && (best === undefined || acf[lag]! > acf[best]! + 0.05)) best = lag;
  }
  return best;
}

/** Neighbours (5 each side) whose median is a point's trend: short enough to follow level shifts. */
const TREND_WINDOW = 11;

/** Median offset of each phase from the trend, shifted so the offsets' median is 0. */
function phaseOffsets(values: readonly number[], trend: readonly number[], period: number): number[] {
  const phases = Array.from({ length: period }, (_, p) => median(values.flatMap((v, i) => (i % period === p ? [v - trend[i]!] : []))));
  const shift = median(phases);
  return phases.map((p) => p - shift);
}

/**
 * Expected value of each point. With a season, two STL-like passes: a trend over one full
 * period gives the phase offsets; the trend is then re-taken on the deseasonalised series
 * (where a short median has no seasonal pattern to distort it) and the offsets re-measured.
 * Both the final trend and the final offset of a point leave the point itself out, so a
 * residual is never explained by its own value (which would shrink the measured scale and
 * raise false alarms) and a spike cannot pull its own expectation towards itself.
 */
export function robustExpectation(values: readonly number[], period: number | undefined): number[] {
  if (!period) return rollingMedian(values, TREND_WINDOW, true);
  let season = phaseOffsets(values, rollingMedian(values, period % 2 ? period : period + 1), period);
  let trend: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    trend = rollingMedian(values.map((v, i) => v - season[i % period]!), TREND_WINDOW, true);
    season = phaseOffsets(values, trend, period);
  }
  const offsets = new Array<number>(values.length).fill(0);
  for (let p = 0; p < period; p++) {
    const members = values.flatMap((_, i) => (i % period === p ? [i] : []));
    const loo = leaveOneOutMedians(members.map((i) => values[i]! - trend[i]!));
    members.forEach((i, k) => {
      if (!Number.isNaN(loo[k]!)) offsets[i] = loo[k]!;
    });
  }
  return values.map((_, i) => trend[i]! + offsets[i]!);
}

/** `period` forces a season; `preferredPeriod` is only a hint for detectPeriod. */
export function detectAnomalies(values: readonly number[], options: { sensitivity: number; period?: number; preferredPeriod?: number }): AnomalyResult {
  const period = options.period ?? detectPeriod(values, options.preferredPeriod);
  const expected = robustExpectation(values, period);
  const residuals = values.map((v, i) => v - expected[i]!);
  const centre = median(residuals);
  // A series that is exactly regular has MAD 0; fall back to the mean absolute residual.
  const mad = robustScale(residuals);
  const scale = mad > 1e-12 ? mad : residuals.reduce((a, r) => a + Math.abs(r - centre), 0) / values.length || 1e-12;
  const threshold = anomalyThreshold(values.length, options.sensitivity, period);
  const anomalies: AnomalyPoint[] = [];
  residuals.forEach((r, i) => {
    const score = Math.abs(r - centre) / scale;
    if (score > threshold) anomalies.push({ index: i, value: values[i]!, expected: expected[i]! + centre, score, direction: r - centre > 0 ? 'high' : 'low' });
  });
  return { period, threshold, scale, expected: expected.map((e) => e + centre), anomalies };
}
