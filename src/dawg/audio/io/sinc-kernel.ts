import { besselI0 } from '../bessel';

/**
 * Windowed-sinc interpolation kernels for the resampler, designed by Kaiser's formulas.
 *
 * The passband runs to 91% of the lower rate's Nyquist frequency and the stopband starts at
 * that Nyquist frequency, with 80 dB of stopband attenuation: at 44.1 kHz that keeps 20 kHz
 * flat (ripple about 0.001 dB) and puts everything that would alias at least 80 dB down.
 * For 44.1 ↔ 48 kHz that is about 112–122 taps per phase.
 */
export const KERNEL_DESIGN = Object.freeze({
  passbandFraction: 0.91,
  stopbandFraction: 1,
  attenuationDb: 80,
});

/** Above this many coefficients the exact polyphase table is replaced by an interpolated one. */
const MAX_TABLE_COEFFICIENTS = 1 << 20;
const MAX_INTERPOLATED_PHASES = 2048;

export interface SincKernel {
  /** Taps per phase: input samples each output sample reads. */
  taps: number;
  /** Output at input time t reads x[floor(t) - halfTaps + 1 ... floor(t) + halfTaps]. */
  halfTaps: number;
  /** Rows of `taps` coefficients; row r is the kernel at fractional delay r / phases. */
  phases: number;
  /** Whether rows match the ratio's phases exactly or are to be interpolated between. */
  exact: boolean;
  table: Float64Array;
}

/**
 * Designs the kernel for converting `fromRate` to `toRate` whose reduced ratio has `phaseCount`
 * output phases (toRate / gcd). Frequencies are in cycles per input sample.
 */
export function designKernel(fromRate: number, toRate: number, phaseCount: number): SincKernel {
  const nyquist = Math.min(fromRate, toRate) / 2;
  const { passbandFraction, stopbandFraction, attenuationDb } = KERNEL_DESIGN;
  const transition = ((stopbandFraction - passbandFraction) * nyquist) / fromRate;
  const cutoff = (((passbandFraction + stopbandFraction) / 2) * nyquist) / fromRate;
  const beta = 0.1102 * (attenuationDb - 8.7);
  const length = (attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition) + 1;
  const halfWidth = length / 2;
  const halfTaps = Math.ceil(halfWidth);
  const taps = 2 * halfTaps;
  const exact = phaseCount * taps <= MAX_TABLE_COEFFICIENTS;
  const phases = exact ? phaseCount : Math.max(64, Math.min(MAX_INTERPOLATED_PHASES, Math.floor(MAX_TABLE_COEFFICIENTS / taps)));
  const rows = exact ? phases : phases + 1;
  const table = new Float64Array(rows * taps);
  const i0Beta = besselI0(beta);
  for (let r = 0; r < rows; r++) {
    const frac = r / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const d = j - halfTaps + 1 - frac;
      const ratio = d / halfWidth;
      if (Math.abs(ratio) >= 1) continue;
      const arg = 2 * cutoff * d;
      const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
      const value = 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(1 - ratio * ratio)) / i0Beta);
      table[r * taps + j] = value;
      sum += value;
    }
    // Unit DC gain on every phase, so a constant signal stays exactly constant.
    for (let j = 0; j < taps; j++) table[r * taps + j] = table[r * taps + j]! / sum;
  }
  return { taps, halfTaps, phases, exact, table };
}
