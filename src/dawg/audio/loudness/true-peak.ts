import type { AudioData } from '../types';
import { assertMeasurableAudio } from './audio-validation';
import { TAPS_PER_PHASE, truePeakFilter, truePeakOversamplingFactor } from './oversampling-filter';

/*
 * Held in a module constant so the hot loops reach no global: inside a vm context (as under
 * jest) every global lookup such as `Math` goes through an interceptor, which made the
 * kernel 80× slower there; V8 still inlines the constant as the Math.abs builtin.
 */
const abs = Math.abs;

export interface PeakLevels {
  /** Largest |sample| over all channels (linear, 1 = full scale). */
  samplePeak: number;
  /** Largest |value| of the oversampled signal over all channels (linear). */
  truePeak: number;
}

/** Largest |sample| over all channels (linear; 1 = full scale). Validates `audio`. */
export function samplePeak(audio: AudioData): number {
  assertMeasurableAudio(audio);
  let peak = 0;
  for (const channel of audio.channels) peak = Math.max(peak, channelSamplePeak(channel));
  return peak;
}

/**
 * True peak over all channels (linear; 1 = full scale): the largest |value| of the signal
 * oversampled max(4, ⌈192 kHz / rate⌉)× through a 12-tap-per-phase polyphase FIR
 * (BS.1770-4 Annex 2), input samples included, so it is never below the sample peak. The
 * signal is taken as zero outside the audio, so the interpolator's ringing at an abrupt
 * start or end counts, as it would at a DAC. Validates `audio`.
 */
export function truePeak(audio: AudioData): number {
  assertMeasurableAudio(audio);
  return peaksOfValidAudio(audio).truePeak;
}

/** Sample and true peak of audio that assertMeasurableAudio has already passed. */
export function peaksOfValidAudio(audio: AudioData): PeakLevels {
  const pairs = mirrorPairCoefficients(audio.sampleRate);
  let sample = 0;
  let interpolated = 0;
  for (const channel of audio.channels) {
    sample = Math.max(sample, channelSamplePeak(channel));
    interpolated = Math.max(interpolated, channelInterpolatedPeak(channel, pairs));
  }
  return { samplePeak: sample, truePeak: Math.max(sample, interpolated) };
}

function channelSamplePeak(samples: Float32Array): number {
  let max = 0;
  let min = 0;
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    if (x > max) max = x;
    else if (x < min) min = x;
  }
  return Math.max(max, -min);
}

/*
 * A phase a and its mirror b (b_j = a_{11−j}) give, for the window x_0…x_11 (x_j = x[i − j]):
 *   y_a + y_b = Σ_{j<6} (a_j + a_{11−j})·(x_j + x_{11−j}) = u
 *   y_a − y_b = Σ_{j<6} (a_j − a_{11−j})·(x_j − x_{11−j}) = v
 * and max(|y_a|, |y_b|) = (|u| + |v|) / 2: two phases for 12 multiplies instead of 24.
 * Each pair is stored as its 6 sum coefficients then its 6 difference coefficients.
 */
function mirrorPairCoefficients(sampleRate: number): Float64Array {
  const { mirroredPhases, mirroredPhaseCount } = truePeakFilter(truePeakOversamplingFactor(sampleRate));
  const half = TAPS_PER_PHASE / 2;
  const pairs = new Float64Array(mirroredPhaseCount * TAPS_PER_PHASE);
  for (let row = 0; row < mirroredPhases.length; row += TAPS_PER_PHASE) {
    for (let j = 0; j < half; j++) {
      const a = mirroredPhases[row + j]!;
      const b = mirroredPhases[row + TAPS_PER_PHASE - 1 - j]!;
      pairs[row + j] = a + b;
      pairs[row + half + j] = a - b;
    }
  }
  return pairs;
}

function channelInterpolatedPeak(samples: Float32Array, pairs: Float64Array): number {
  const span = TAPS_PER_PHASE - 1;
  const n = samples.length;
  // The first and last `span` outputs need zeros beyond the ends: they run on small padded
  // copies, the bulk straight on the input, so nothing the size of the input is allocated.
  if (n <= 2 * span) {
    const padded = new Float32Array(n + 2 * span);
    padded.set(samples, span);
    return interpolatedPeak(padded, span, n + 2 * span, pairs);
  }
  const head = new Float32Array(3 * span);
  head.set(samples.subarray(0, 2 * span), span);
  const tail = new Float32Array(2 * span);
  tail.set(samples.subarray(n - span), 0);
  return Math.max(
    interpolatedPeak(head, span, 2 * span, pairs),
    interpolatedPeak(samples, span, n, pairs),
    interpolatedPeak(tail, span, 2 * span, pairs),
  );
}

/** Peak over windows ending at i ∈ [from, to) (from ≥ 11); two unrolled pairs cover 4× and 5×. */
function interpolatedPeak(x: Float32Array, from: number, to: number, pairs: Float64Array): number {
  return pairs.length === 2 * TAPS_PER_PHASE ? twoPairPeak(x, from, to, pairs) : manyPairPeak(x, from, to, pairs);
}

function twoPairPeak(x: Float32Array, from: number, to: number, c: Float64Array): number {
  // Sum and difference coefficients of the two pairs, held in locals for the loop.
  const p0 = c[0]!, p1 = c[1]!, p2 = c[2]!, p3 = c[3]!, p4 = c[4]!, p5 = c[5]!;
  const m0 = c[6]!, m1 = c[7]!, m2 = c[8]!, m3 = c[9]!, m4 = c[10]!, m5 = c[11]!;
  const q0 = c[12]!, q1 = c[13]!, q2 = c[14]!, q3 = c[15]!, q4 = c[16]!, q5 = c[17]!;
  const n0 = c[18]!, n1 = c[19]!, n2 = c[20]!, n3 = c[21]!, n4 = c[22]!, n5 = c[23]!;
  let max = 0;
  for (let i = from; i < to; i++) {
    const x0 = x[i]!, x1 = x[i - 1]!, x2 = x[i - 2]!, x3 = x[i - 3]!, x4 = x[i - 4]!, x5 = x[i - 5]!;
    const x6 = x[i - 6]!, x7 = x[i - 7]!, x8 = x[i - 8]!, x9 = x[i - 9]!, x10 = x[i - 10]!, x11 = x[i - 11]!;
    const s0 = x0 + x11, s1 = x1 + x10, s2 = x2 + x9, s3 = x3 + x8, s4 = x4 + x7, s5 = x5 + x6;
    const d0 = x0 - x11, d1 = x1 - x10, d2 = x2 - x9, d3 = x3 - x8, d4 = x4 - x7, d5 = x5 - x6;
    const u = p0 * s0 + p1 * s1 + p2 * s2 + p3 * s3 + p4 * s4 + p5 * s5;
    const v = m0 * d0 + m1 * d1 + m2 * d2 + m3 * d3 + m4 * d4 + m5 * d5;
    const w = q0 * s0 + q1 * s1 + q2 * s2 + q3 * s3 + q4 * s4 + q5 * s5;
    const z = n0 * d0 + n1 * d1 + n2 * d2 + n3 * d3 + n4 * d4 + n5 * d5;
    const a = abs(u) + abs(v);
    const b = abs(w) + abs(z);
    if (a > max) max = a;
    if (b > max) max = b;
  }
  return max / 2;
}

function manyPairPeak(x: Float32Array, from: number, to: number, c: Float64Array): number {
  let max = 0;
  for (let i = from; i < to; i++) {
    const x0 = x[i]!, x1 = x[i - 1]!, x2 = x[i - 2]!, x3 = x[i - 3]!, x4 = x[i - 4]!, x5 = x[i - 5]!;
    const x6 = x[i - 6]!, x7 = x[i - 7]!, x8 = x[i - 8]!, x9 = x[i - 9]!, x10 = x[i - 10]!, x11 = x[i - 11]!;
    const s0 = x0 + x11, s1 = x1 + x10, s2 = x2 + x9, s3 = x3 + x8, s4 = x4 + x7, s5 = x5 + x6;
    const d0 = x0 - x11, d1 = x1 - x10, d2 = x2 - x9, d3 = x3 - x8, d4 = x4 - x7, d5 = x5 - x6;
    for (let r = 0; r < c.length; r += TAPS_PER_PHASE) {
      const u = c[r]! * s0 + c[r + 1]! * s1 + c[r + 2]! * s2 + c[r + 3]! * s3 + c[r + 4]! * s4 + c[r + 5]! * s5;
      const v = c[r + 6]! * d0 + c[r + 7]! * d1 + c[r + 8]! * d2 + c[r + 9]! * d3 + c[r + 10]! * d4 + c[r + 11]! * d5;
      const a = abs(u) + abs(v);
      if (a > max) max = a;
    }
  }
  return max / 2;
}
