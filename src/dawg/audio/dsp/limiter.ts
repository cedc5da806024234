import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { type AudioProcessor, assertAudio, assertBlock, assertChannelCount, assertSampleRate } from './audio-processor';
import { dbToGain, gainToDb } from './decibels';
import { SlidingMinimum } from './sliding-minimum';
import { TruePeakDetector } from './true-peak-detector';

export const limiterSchema = z.strictObject({
  /** Highest true peak the output may reach, in dBTP. */
  ceilingDbtp: z.number().min(-20).max(0).default(-1),
  /** How far ahead the gain starts to fall before a peak; also the attack time. */
  lookaheadMs: z.number().min(0.5).max(20).default(1.5),
  releaseMs: z.number().min(1).max(5000).default(100),
});
export type LimiterParams = z.output<typeof limiterSchema>;
export type LimiterParamsInput = z.input<typeof limiterSchema>;

/**
 * Headroom kept below the ceiling. It covers what the detector cannot see exactly: peaks
 * between its 4× points beyond the parabola's reach, and the gain changing within the
 * interpolator's span (a meter sees the gain-modulated signal, the detector the input).
 * Randomised stress runs used up to 0.06 dB of it (1 ms release on bursts of loud noise).
 */
export const LIMITER_SAFETY_MARGIN_DB = 0.15;

/** Frames the streaming limiter detects and applies at a time (its scratch buffers' size). */
const BLOCK = 1024;

/**
 * The limiter's gain computer, shared by the streaming limiter and renders from stored
 * detector estimates. Each step takes one estimate (the true peak of the sample
 * TruePeakDetector.DELAY steps back, already multiplied by whatever gain that sample will
 * get) and gives the gain for the sample `latencySamples` steps back: the gain bringing each
 * estimate to the ceiling minus a margin, the minimum of those over a window from S samples
 * back to look-ahead + S ahead (S = the detector's half span), then a release (instant down,
 * exponential up), then a moving average the length of the look-ahead. Every value in that
 * average is at most the gain a peak needs, so the applied gain never exceeds it anywhere
 * within the interpolator's reach of the peak, and the average turns the attack into a
 * smooth ramp.
 */
export class LimiterGainStage {
  readonly params: Readonly<LimiterParams>;
  /** Linear level the estimates are limited to: the ceiling minus the safety margin. */
  readonly threshold: number;
  /** look-ahead + 2S. */
  readonly latencySamples: number;
  private readonly span = TruePeakDetector.DELAY - 1;
  private readonly lookahead: number;
  private readonly releaseCoeff: number;
  private readonly window: SlidingMinimum;
  // Moving average of the released gain.
  private readonly box: Float64Array;
  private boxPos = 0;
  private boxSum = 0;
  private released = 1;
  private step = 0;
  private minGain = 1;

  constructor(params: LimiterParamsInput, readonly sampleRate: number) {
    this.params = Object.freeze(parseInput(limiterSchema, params, 'limiter'));
    assertSampleRate(sampleRate);
    this.threshold = dbToGain(this.params.ceilingDbtp - LIMITER_SAFETY_MARGIN_DB);
    this.lookahead = Math.max(1, Math.round((this.params.lookaheadMs * sampleRate) / 1000));
    this.latencySamples = this.lookahead + 2 * this.span;
    this.releaseCoeff = Math.exp(-1000 / (this.params.releaseMs * sampleRate));
    this.window = new SlidingMinimum(this.lookahead + 2 * this.span);
    this.box = new Float64Array(this.lookahead);
    this.reset();
  }

  /** Deepest gain reduction given since construction or reset, in dB (≥ 0). */
  get maxGainReductionDb(): number {
    return this.minGain < 1 ? -gainToDb(this.minGain) : 0;
  }

  reset(): void {
    this.window.clear();
    this.box.fill(1);
    this.boxPos = 0;
    this.boxSum = this.lookahead;
    this.released = 1;
    this.step = 0;
    this.minGain = 1;
  }

  /** Runs `count` steps: out[i] is the gain for the sample leaving the delay as peaks[i] arrives. */
  run(peaks: Float64Array, count: number, out: Float64Array): void {
    const { threshold, window, box, lookahead, releaseCoeff } = this;
    const delay = TruePeakDetector.DELAY;
    const behind = this.latencySamples + this.span;
    let { boxPos, boxSum, released, step, minGain } = this;
    for (let i = 0; i < count; i++, step++) {
      const peak = peaks[i]!;
      // Only gains under 1 enter the window: the minimum is 1 when none is left in it.
      if (peak > threshold) window.push(step - delay, threshold / peak);
      window.evictBefore(step - behind);
      const least = window.minimum;
      const hold = least < 1 ? least : 1;
      released = hold < released ? hold : hold + releaseCoeff * (released - hold);
      boxSum += released - box[boxPos]!;
      box[boxPos] = released;
      boxPos = boxPos + 1 === lookahead ? 0 : boxPos + 1;
      const average = boxSum / lookahead;
      const gain = average < 1 ? average : 1;
      if (gain < minGain) minGain = gain;
      out[i] = gain;
    }
    this.boxPos = boxPos;
    this.boxSum = boxSum;
    this.released = released;
    this.step = step;
    this.minGain = minGain;
  }
}

/**
 * A look-ahead true-peak limiter. The detector estimates each input sample's true peak
 * (4× oversampled, linked across channels, the larger of a BS.1770-style and a sharper
 * reconstruction); the gain stage turns those into the gain applied to the delayed input.
 * The output is delayed by `latencySamples` = look-ahead + 2S (S = 16).
 */
export class TruePeakLimiter implements AudioProcessor {
  readonly params: Readonly<LimiterParams>;
  readonly latencySamples: number;
  private readonly detector: TruePeakDetector;
  private readonly gainStage: LimiterGainStage;
  private readonly delayLine: Float32Array[];
  private readonly delayMask: number;
  private readonly peaks = new Float64Array(BLOCK);
  private readonly gains = new Float64Array(BLOCK);
  private step = 0;

  constructor(params: LimiterParamsInput, readonly sampleRate: number, readonly channelCount: number) {
    this.gainStage = new LimiterGainStage(params, sampleRate);
    assertChannelCount(channelCount);
    this.params = this.gainStage.params;
    this.detector = new TruePeakDetector(channelCount, this.gainStage.threshold);
    this.latencySamples = this.gainStage.latencySamples;
    const delaySize = 2 ** Math.ceil(Math.log2(this.latencySamples + 1));
    this.delayMask = delaySize - 1;
    this.delayLine = Array.from({ length: channelCount }, () => new Float32Array(delaySize));
  }

  /** Deepest gain reduction applied since construction or reset, in dB (≥ 0). */
  get maxGainReductionDb(): number {
    return this.gainStage.maxGainReductionDb;
  }

  reset(): void {
    this.detector.reset();
    this.gainStage.reset();
    for (const line of this.delayLine) line.fill(0);
    this.step = 0;
  }

  process(channels: Float32Array[]): void {
    assertBlock(channels, this.channelCount);
    const frames = channels[0]?.length ?? 0;
    for (let start = 0; start < frames; start += BLOCK) {
      const n = Math.min(BLOCK, frames - start);
      this.detector.detect(channels, start, start + n, this.peaks);
      this.gainStage.run(this.peaks, n, this.gains);
      for (let c = 0; c < this.channelCount; c++) this.delayAndApply(channels[c]!, this.delayLine[c]!, start, n);
      this.step += n;
    }
  }

  /** Writes the block into the delay line and replaces it with the delayed samples times their gains. */
  private delayAndApply(channel: Float32Array, line: Float32Array, start: number, n: number): void {
    const { delayMask: mask, latencySamples: latency, gains } = this;
    for (let i = 0, step = this.step; i < n; i++, step++) {
      line[step & mask] = channel[start + i]!;
      channel[start + i] = line[(step - latency) & mask]! * gains[i]!;
    }
  }
}

export interface LimiterResult {
  /** Samples the output lags the input: the limiter's latency, or 0 when compensated. */
  latencySamples: number;
  maxGainReductionDb: number;
}

export interface LimiterOptions {
  /**
   * Shift the output back by the latency and run the limiter on into silence for the
   * last `latency` samples, so the output lines up with the input (for offline renders).
   */
  compensateLatency?: boolean;
}

/** Limits `audio` in place. Without compensation the last `latencySamples` of input do not reach the output. */
export function applyLimiter(audio: AudioData, params: LimiterParamsInput, options: LimiterOptions = {}): LimiterResult {
  assertAudio(audio);
  const limiter = new TruePeakLimiter(params, audio.sampleRate, audio.channels.length);
  limiter.process(audio.channels);
  if (!options.compensateLatency) {
    return { latencySamples: limiter.latencySamples, maxGainReductionDb: limiter.maxGainReductionDb };
  }
  const latency = limiter.latencySamples;
  const tail = audio.channels.map(() => new Float32Array(latency));
  limiter.process(tail);
  audio.channels.forEach((channel, c) => {
    const frames = channel.length;
    const keep = Math.max(0, frames - latency);
    channel.copyWithin(0, frames - keep);
    // A buffer shorter than the latency is entirely in the tail.
    channel.set(tail[c]!.subarray(latency - (frames - keep)), keep);
  });
  return { latencySamples: 0, maxGainReductionDb: limiter.maxGainReductionDb };
}
