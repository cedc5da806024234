import { besselI0 } from '../bessel';

/**
 * Polyphase interpolation filters for true-peak measurement (ITU-R BS.1770-4 Annex 2).
 * Phase p of an L× filter yields the band-limited signal at n − 6 + p/L samples as
 * Σₖ taps[p][k]·x[n − k], k = 0…11.
 *
 * Phase 0 is the input itself and phase L − p is phase p reversed, so only phases
 * 1…⌊L/2⌋ are stored: the sample peak covers phase 0, and the kernel computes each phase
 * together with its mirror from one set of products.
 */
export interface PolyphaseFilter {
  /** Oversampling factor L. */
  factor: number;
  /** Phases 1…⌊L/2⌋, TAPS_PER_PHASE taps each, concatenated (phase L/2, for even L, is its own mirror). */
  mirroredPhases: Float64Array;
  mirroredPhaseCount: number;
}

/** Taps per phase, as in the Annex's 48-tap, 4-phase example; the kernel is unrolled for it. */
export const TAPS_PER_PHASE = 12;
/** Annex 2 oversamples 48 kHz 4×, to 192 kHz; every rate here gets ≥ 4× and ≥ 192 kHz. */
const MIN_OVERSAMPLED_RATE = 192_000;
const MIN_FACTOR = 4;
/**
 * Kaiser window β. With it a steady tone reads at most 0.01 dB above its exact band-limited
 * peak at any frequency; it reads lower only where the peak falls between oversampled
 * points, by a factor down to cos(π·f/(L·fs)) (−0.44 dB at 0.4·fs at 4×), which no filter
 * at that factor avoids.
 * The Annex's example filter, with the same 48 taps, ripples by +0.2/−0.3 dB on top of that.
 */
const KAISER_BETA = 6;

/** The oversampling factor for true peak at `sampleRate`: max(4, ⌈192 kHz / rate⌉) (5× at 44.1 kHz). */
export function truePeakOversamplingFactor(sampleRate: number): number {
  return Math.max(MIN_FACTOR, Math.ceil(MIN_OVERSAMPLED_RATE / sampleRate));
}

/**
 * The L× interpolator: a Kaiser-windowed sinc with 12 taps per phase, cut off at the input
 * Nyquist frequency and centred on an input sample, so phase 0 passes the input through;
 * each phase is scaled to unit gain at DC.
 */
export function truePeakFilter(factor: number): PolyphaseFilter {
  const count = Math.floor(factor / 2);
  const mirroredPhases = new Float64Array(count * TAPS_PER_PHASE);
  const centre = (TAPS_PER_PHASE / 2) * factor;
  for (let phase = 1; phase <= count; phase++) {
    const row = (phase - 1) * TAPS_PER_PHASE;
    let sum = 0;
    for (let k = 0; k < TAPS_PER_PHASE; k++) {
      // Prototype tap n = phase + k·factor of a window spanning n ∈ [0, 2·centre].
      const offset = phase + k * factor - centre;
      const tap = sinc(offset / factor) * kaiser(offset / centre, KAISER_BETA);
      mirroredPhases[row + k] = tap;
      sum += tap;
    }
    for (let k = 0; k < TAPS_PER_PHASE; k++) mirroredPhases[row + k] = mirroredPhases[row + k]! / sum;
  }
  return { factor, mirroredPhaseCount: count, mirroredPhases };
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/** Kaiser window at r ∈ [−1, 1] (0 outside). */
function kaiser(r: number, beta: number): number {
  return Math.abs(r) > 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / besselI0(beta);
}

