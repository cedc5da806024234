import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { assertAudio } from './audio-processor';
import { gainToDb } from './decibels';
import { besselI0 } from '../bessel';

/*
 * Math's functions held in module constants: inside a vm context (as under jest) every
 * global lookup goes through an interceptor, which slows hot loops many times over.
 */
const { abs, max } = Math;

export const interpolatorSchema = z.strictObject({
  /** Output samples per input sample. BS.1770-4 true peak needs at least 4. */
  factor: z.number().int().min(2).max(16).default(4),
  /** FIR length per polyphase branch (the filter spans this many input samples); even. */
  tapsPerPhase: z
    .number()
    .int()
    .min(4)
    .max(64)
    .refine((n) => n % 2 === 0, 'must be even')
    .default(12),
});
export type InterpolatorOptions = z.input<typeof interpolatorSchema>;

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/**
 * A polyphase FIR interpolator: Kaiser-windowed sinc, cut off at the input's Nyquist
 * frequency. Branch 0 is the identity (the sinc is zero at whole-sample offsets), so the
 * oversampled signal passes through the original samples; branch p gives the value at
 * p/factor of the way from sample j to j+1 from samples j−S+1 … j+S (S = tapsPerPhase/2).
 * The default, 4× with 12 taps per branch, has the length of the 48-tap example filter in
 * ITU-R BS.1770-4 Annex 2 (not its coefficients: this one is flatter up to 0.35 fs).
 */
export class PolyphaseInterpolator {
  readonly factor: number;
  readonly tapsPerPhase: number;
  /** S: each interpolated value needs S samples either side of it. */
  readonly halfSpan: number;
  /** Branch p's taps at [p * tapsPerPhase + k], applied to sample j − S + 1 + k. */
  readonly coefficients: Float64Array;

  constructor(options: InterpolatorOptions = {}) {
    const { factor, tapsPerPhase } = parseInput(interpolatorSchema, options, 'interpolator');
    this.factor = factor;
    this.tapsPerPhase = tapsPerPhase;
    this.halfSpan = tapsPerPhase / 2;
    this.coefficients = new Float64Array(factor * tapsPerPhase);
    // Beta grows with length: longer filters can afford deeper stopbands for the same passband.
    const beta = tapsPerPhase <= 12 ? 6 : 7;
    const i0Beta = besselI0(beta);
    for (let p = 0; p < factor; p++) {
      let sum = 0;
      for (let k = 0; k < tapsPerPhase; k++) {
        const distance = p / factor - (k - this.halfSpan + 1);
        const ratio = distance / this.halfSpan;
        const window = besselI0(beta * Math.sqrt(max(0, 1 - ratio * ratio))) / i0Beta;
        const tap = sinc(distance) * window;
        this.coefficients[p * tapsPerPhase + k] = tap;
        sum += tap;
      }
      // Unity gain at DC on every branch, or a constant would ripple at the output rate.
      for (let k = 0; k < tapsPerPhase; k++) this.coefficients[p * tapsPerPhase + k]! /= sum;
    }
  }

  /**
   * The largest |value| of the oversampled signal, counting the silence either side of the
   * buffer (so the pre- and post-ringing of an abrupt start or end is included).
   */
  peak(input: Float32Array): number {
    const n = input.length;
    const S = this.halfSpan;
    let peak = 0;
    for (let j = 0; j < n; j++) {
      const a = abs(input[j]!);
      if (a > peak) peak = a;
    }
    // Intervals [j, j+1) whose taps all fall inside the buffer, without bounds checks.
    const first = S - 1;
    const last = n - 1 - S;
    for (let j = first; j <= last; j++) peak = max(peak, this.intervalPeak(input, j - S + 1));
    // The rest, reading silence outside the buffer.
    for (let j = -S; j < n + S; j++) {
      if (j >= first && j <= last) continue;
      peak = max(peak, this.intervalPeakPadded(input, j));
    }
    return peak;
  }

  /** Oversampled copy of `input`: value at j + p/factor is at [(j + S) * factor + p], j from −S to n+S−1. */
  upsample(input: Float32Array): Float64Array {
    const n = input.length;
    const S = this.halfSpan;
    const F = this.factor;
    const out = new Float64Array((n + 2 * S) * F);
    for (let j = -S; j < n + S; j++) {
      for (let p = 0; p < F; p++) out[(j + S) * F + p] = this.valueAt(input, j, p);
    }
    return out;
  }

  private intervalPeak(x: Float32Array, start: number): number {
    const T = this.tapsPerPhase;
    const c = this.coefficients;
    let peak = 0;
    for (let p = 1; p < this.factor; p++) {
      const base = p * T;
      let acc = 0;
      for (let k = 0; k < T; k++) acc += c[base + k]! * x[start + k]!;
      const a = abs(acc);
      if (a > peak) peak = a;
    }
    return peak;
  }

  private intervalPeakPadded(x: Float32Array, j: number): number {
    let peak = 0;
    for (let p = 0; p < this.factor; p++) peak = max(peak, abs(this.valueAt(x, j, p)));
    return peak;
  }

  private valueAt(x: Float32Array, j: number, p: number): number {
    const T = this.tapsPerPhase;
    const start = j - this.halfSpan + 1;
    let acc = 0;
    for (let k = 0; k < T; k++) {
      const i = start + k;
      if (i >= 0 && i < x.length) acc += this.coefficients[p * T + k]! * x[i]!;
    }
    return acc;
  }
}

/** True peak (linear, max over channels) of `audio` oversampled by the interpolator. */
export function truePeak(audio: AudioData, options: InterpolatorOptions = {}): number {
  assertAudio(audio);
  const interpolator = new PolyphaseInterpolator(options);
  return audio.channels.reduce((peak, channel) => max(peak, interpolator.peak(channel)), 0);
}

/** True peak in dBTP (−Infinity for silence). */
export function truePeakDbtp(audio: AudioData, options: InterpolatorOptions = {}): number {
  return gainToDb(truePeak(audio, options));
}
