import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { type AudioProcessor, assertAudio, assertBlock, assertFormat } from './audio-processor';

/*
 * Math's functions held in module constants: inside a vm context (as under jest) every
 * global lookup goes through an interceptor, which slows hot loops many times over.
 */
const { abs, exp, log10, max } = Math;

export const compressorSchema = z.strictObject({
  thresholdDb: z.number().min(-60).max(0),
  ratio: z.number().min(1).max(50),
  attackMs: z.number().min(0.01).max(500).default(10),
  releaseMs: z.number().min(1).max(5000).default(100),
  /** Width of the soft knee centred on the threshold; 0 is a hard knee. */
  kneeDb: z.number().min(0).max(24).default(0),
  /** Gain after compression; 'auto' restores a full-scale input to full scale. */
  makeupDb: z.union([z.number().min(-24).max(24), z.literal('auto')]).default(0),
  /** Peak follows |sample|; RMS follows the mean square over `rmsWindowMs`. */
  detector: z.enum(['peak', 'rms']).default('peak'),
  rmsWindowMs: z.number().min(1).max(1000).default(10),
});
export type CompressorParams = z.output<typeof compressorSchema>;
export type CompressorParamsInput = z.input<typeof compressorSchema>;

/** ln(10)/20: a dB value times this is the natural log of its amplitude factor. */
const DB_TO_NEPER = Math.LN10 / 20;

/** Below this level (dB) the detector reads silence, instead of taking the log of 0. */
const FLOOR_DB = -200;

/**
 * The gain computer of Giannoulis, Massberg & Reiss, "Digital Dynamic Range Compressor
 * Design — A Tutorial and Analysis" (JAES 2012), eq. 4: output level for input level x.
 */
function gainComputerDb(x: number, threshold: number, ratio: number, knee: number): number {
  const over = x - threshold;
  if (2 * over < -knee) return x;
  if (2 * abs(over) <= knee && knee > 0) {
    const into = over + knee / 2;
    return x + ((1 / ratio - 1) * into * into) / (2 * knee);
  }
  return threshold + over / ratio;
}

/**
 * The static curve: the steady-state output level (dB) for an input level (dB), before
 * make-up gain. Unity below the knee, slope 1/ratio above it, and a quadratic through the
 * knee that meets both lines with matching slope.
 */
export function staticCurveDb(inputDb: number, params: CompressorParamsInput): number {
  const p = parseInput(compressorSchema, params, 'compressor');
  return gainComputerDb(inputDb, p.thresholdDb, p.ratio, p.kneeDb);
}

/** The make-up gain in dB, resolving 'auto' to the reduction a 0 dBFS input would get. */
export function makeupGainDb(params: CompressorParamsInput): number {
  const p = parseInput(compressorSchema, params, 'compressor');
  return p.makeupDb === 'auto' ? -gainComputerDb(0, p.thresholdDb, p.ratio, p.kneeDb) : p.makeupDb;
}

/**
 * A feed-forward compressor after Giannoulis et al.: level detection in dB, the gain
 * computer, then the gain reduction smoothed by the "smooth branching" peak detector
 * (attack coefficient while reduction grows, release while it falls), all in the log
 * domain. Detection is stereo-linked: the louder channel sets the gain for both, so the
 * image does not shift.
 */
export class Compressor implements AudioProcessor {
  readonly params: Readonly<CompressorParams>;
  readonly latencySamples = 0;
  readonly makeupDb: number;
  private readonly attack: number;
  private readonly release: number;
  private readonly rmsCoeff: number;
  /** Linear level (|x| for peak, x² for RMS) below which the gain computer is the identity. */
  private readonly kneeStart: number;
  private readonly meanSquare: Float64Array;
  private reduction = 0;
  private maxReduction = 0;

  constructor(params: CompressorParamsInput, readonly sampleRate: number, readonly channelCount: number) {
    this.params = Object.freeze(parseInput(compressorSchema, params, 'compressor'));
    assertFormat(sampleRate, channelCount);
    const p = this.params;
    this.makeupDb = makeupGainDb(p);
    // Time constants as in the paper: the step response reaches 1 − 1/e after the given time.
    this.attack = exp(-1000 / (p.attackMs * sampleRate));
    this.release = exp(-1000 / (p.releaseMs * sampleRate));
    this.rmsCoeff = exp(-1000 / (p.rmsWindowMs * sampleRate));
    const kneeStartDb = p.thresholdDb - p.kneeDb / 2;
    this.kneeStart = Math.pow(10, kneeStartDb / (p.detector === 'rms' ? 10 : 20));
    this.meanSquare = new Float64Array(channelCount);
  }

  /** Deepest gain reduction applied since construction or reset, in dB (≥ 0). */
  get maxGainReductionDb(): number {
    return this.maxReduction;
  }

  reset(): void {
    this.meanSquare.fill(0);
    this.reduction = 0;
    this.maxReduction = 0;
  }

  process(channels: Float32Array[]): void {
    assertBlock(channels, this.channelCount);
    const { thresholdDb, ratio, kneeDb } = this.params;
    const rms = this.params.detector === 'rms';
    const frames = channels[0]?.length ?? 0;
    const makeupDb = this.makeupDb;
    let reduction = this.reduction;
    for (let i = 0; i < frames; i++) {
      const level = rms ? this.meanSquareLevel(channels, i) : peakLevel(channels, i);
      let target = 0;
      if (level > this.kneeStart) {
        const levelDb = rms ? 10 * log10(level) : 20 * log10(level);
        target = levelDb - gainComputerDb(max(levelDb, FLOOR_DB), thresholdDb, ratio, kneeDb);
      }
      const coeff = target > reduction ? this.attack : this.release;
      reduction = coeff * reduction + (1 - coeff) * target;
      if (reduction > this.maxReduction) this.maxReduction = reduction;
      const gainDb = makeupDb - reduction;
      if (gainDb !== 0) {
        const gain = exp(gainDb * DB_TO_NEPER);
        for (let c = 0; c < channels.length; c++) channels[c]![i]! *= gain;
      }
    }
    // Once the reduction has decayed below anything audible, make it exactly 0 again.
    this.reduction = reduction < 1e-9 ? 0 : reduction;
  }

  private meanSquareLevel(channels: Float32Array[], i: number): number {
    const a = this.rmsCoeff;
    let level = 0;
    for (let c = 0; c < channels.length; c++) {
      const x = channels[c]![i]!;
      const ms = a * this.meanSquare[c]! + (1 - a) * x * x;
      this.meanSquare[c] = ms;
      if (ms > level) level = ms;
    }
    return level;
  }
}

function peakLevel(channels: Float32Array[], i: number): number {
  let level = 0;
  for (let c = 0; c < channels.length; c++) {
    const a = abs(channels[c]![i]!);
    if (a > level) level = a;
  }
  return level;
}

/** Compresses `audio` in place. */
export function applyCompressor(audio: AudioData, params: CompressorParamsInput): void {
  assertAudio(audio);
  new Compressor(params, audio.sampleRate, audio.channels.length).process(audio.channels);
}
