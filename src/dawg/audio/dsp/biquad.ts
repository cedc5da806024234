import { z } from 'zod';
import type { AudioData } from '../types';
import { fieldError, parseInput } from '../../../common/validation';
import { type AudioProcessor, assertAudio, assertBlock, assertChannelCount, assertFormat, assertSampleRate } from './audio-processor';

/** Upper bound without a sample rate (96 kHz's Nyquist − 1); each filter also checks its own rate. */
const MAX_FREQ = 47_999;
const freq = z.number().min(10).max(MAX_FREQ);
const gainDb = z.number().min(-24).max(24);
const q = z.number().min(0.1).max(20);
/** Shelf slope S of the cookbook: 1 is the steepest that stays monotonic. */
const slope = z.number().min(0.1).max(1);

const shelf = <T extends 'low-shelf' | 'high-shelf'>(type: T) =>
  z
    .strictObject({ type: z.literal(type), freq, gainDb, q: q.optional(), slope: slope.optional() })
    .refine((band) => band.q === undefined || band.slope === undefined, {
      message: 'give q or slope, not both',
      path: ['slope'],
    });

export const biquadBandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('peaking'), freq, gainDb, q: q.default(1) }),
  shelf('low-shelf'),
  shelf('high-shelf'),
  z.strictObject({ type: z.literal('high-pass'), freq, q: q.default(Math.SQRT1_2) }),
  z.strictObject({ type: z.literal('low-pass'), freq, q: q.default(Math.SQRT1_2) }),
]);
export type BiquadBand = z.output<typeof biquadBandSchema>;
export type BiquadBandInput = z.input<typeof biquadBandSchema>;
export type BiquadType = BiquadBand['type'];

export const eqSchema = z.strictObject({
  /** Applied in order, each to the previous one's output. */
  bands: z.array(biquadBandSchema).max(32),
});
export type EqParams = z.output<typeof eqSchema>;
export type EqParamsInput = z.input<typeof eqSchema>;

/** Normalised coefficients (a0 = 1) of H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²). */
export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/**
 * Coefficients from R. Bristow-Johnson's Audio EQ Cookbook. `field` names the band in
 * the error when its frequency is not below the Nyquist frequency of this sample rate.
 */
export function biquadCoefficients(band: BiquadBandInput, sampleRate: number, field = 'band'): BiquadCoefficients {
  const b = parseInput(biquadBandSchema, band, field);
  assertSampleRate(sampleRate);
  if (b.freq > sampleRate / 2 - 1) {
    throw fieldError(`${field}.freq`, `must be at most ${sampleRate / 2 - 1} Hz (Nyquist − 1) at ${sampleRate} Hz, got ${b.freq}`);
  }
  const w0 = (2 * Math.PI * b.freq) / sampleRate;
  const cos = Math.cos(w0);
  const sin = Math.sin(w0);
  switch (b.type) {
    case 'peaking': {
      const A = Math.pow(10, b.gainDb / 40);
      const alpha = sin / (2 * b.q);
      return normalise(1 + alpha * A, -2 * cos, 1 - alpha * A, 1 + alpha / A, -2 * cos, 1 - alpha / A);
    }
    case 'low-shelf':
    case 'high-shelf': {
      const A = Math.pow(10, b.gainDb / 40);
      const alpha =
        b.q !== undefined ? sin / (2 * b.q) : (sin / 2) * Math.sqrt((A + 1 / A) * (1 / (b.slope ?? 1) - 1) + 2);
      const k = 2 * Math.sqrt(A) * alpha;
      // The high shelf is the low shelf with cos w0 negated and the first-order terms flipped.
      const s = b.type === 'low-shelf' ? 1 : -1;
      return normalise(
        A * (A + 1 - s * (A - 1) * cos + k),
        2 * s * A * (A - 1 - s * (A + 1) * cos),
        A * (A + 1 - s * (A - 1) * cos - k),
        A + 1 + s * (A - 1) * cos + k,
        -2 * s * (A - 1 + s * (A + 1) * cos),
        A + 1 + s * (A - 1) * cos - k,
      );
    }
    case 'low-pass': {
      const alpha = sin / (2 * b.q);
      return normalise((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }
    case 'high-pass': {
      const alpha = sin / (2 * b.q);
      return normalise((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha);
    }
  }
}

function normalise(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): BiquadCoefficients {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** |H| in dB at `freq`, from the coefficients (the analytic response, no processing). */
export function magnitudeDb(coeffs: BiquadCoefficients, freq: number, sampleRate: number): number {
  const w = (2 * Math.PI * freq) / sampleRate;
  const cw = Math.cos(w);
  const c2w = Math.cos(2 * w);
  const { b0, b1, b2, a1, a2 } = coeffs;
  // |b0 + b1 e^−jw + b2 e^−2jw|² expanded into cosines, likewise the denominator with a0 = 1.
  const num = b0 * b0 + b1 * b1 + b2 * b2 + 2 * (b0 * b1 + b1 * b2) * cw + 2 * b0 * b2 * c2w;
  const den = 1 + a1 * a1 + a2 * a2 + 2 * (a1 + a1 * a2) * cw + 2 * a2 * c2w;
  return 10 * Math.log10(num / den);
}

/** Below this a state value is flushed to zero, so decaying tails never become slow subnormals. */
const DENORMAL = 1e-30;

/**
 * One biquad, transposed direct form II in double precision, with separate state per
 * channel. TDF-II keeps only two state values and behaves well in floating point.
 */
export class BiquadFilter {
  private readonly state: Float64Array;

  constructor(
    readonly coeffs: Readonly<BiquadCoefficients>,
    readonly channelCount: number,
  ) {
    assertChannelCount(channelCount);
    this.state = new Float64Array(2 * channelCount);
  }

  /** Filters `samples` in place as channel `channel`. */
  process(samples: Float32Array, channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw fieldError('channel', `must be 0 … ${this.channelCount - 1}, got ${channel}`);
    }
    const { b0, b1, b2, a1, a2 } = this.coeffs;
    let s1 = this.state[2 * channel]!;
    let s2 = this.state[2 * channel + 1]!;
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i]!;
      const y = b0 * x + s1;
      s1 = b1 * x - a1 * y + s2;
      s2 = b2 * x - a2 * y;
      samples[i] = y;
    }
    this.state[2 * channel] = Math.abs(s1) < DENORMAL ? 0 : s1;
    this.state[2 * channel + 1] = Math.abs(s2) < DENORMAL ? 0 : s2;
  }

  reset(): void {
    this.state.fill(0);
  }
}

/** An equaliser: the bands in order, each a biquad, on every channel. */
export class Equalizer implements AudioProcessor {
  readonly params: Readonly<EqParams>;
  readonly latencySamples = 0;
  readonly filters: readonly BiquadFilter[];

  constructor(params: EqParamsInput, readonly sampleRate: number, readonly channelCount: number) {
    this.params = Object.freeze(parseInput(eqSchema, params, 'eq'));
    assertFormat(sampleRate, channelCount);
    this.filters = this.params.bands.map(
      (band, i) => new BiquadFilter(biquadCoefficients(band, sampleRate, `eq.bands.${i}`), channelCount),
    );
  }

  process(channels: Float32Array[]): void {
    assertBlock(channels, this.channelCount);
    channels.forEach((samples, c) => {
      for (const filter of this.filters) filter.process(samples, c);
    });
  }

  reset(): void {
    for (const filter of this.filters) filter.reset();
  }

  /** The whole chain's analytic response at `freq`, in dB. */
  magnitudeDb(freq: number): number {
    return this.filters.reduce((sum, f) => sum + magnitudeDb(f.coeffs, freq, this.sampleRate), 0);
  }
}

/** Equalises `audio` in place. */
export function applyEq(audio: AudioData, params: EqParamsInput): void {
  assertAudio(audio);
  new Equalizer(params, audio.sampleRate, audio.channels.length).process(audio.channels);
}
