import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { type AudioProcessor, assertAudio, assertBlock, assertFormat } from './audio-processor';

export const reverbSchema = z.strictObject({
  /** 0–1: comb feedback 0.70–0.98, i.e. decay time. */
  roomSize: z.number().min(0).max(1).default(0.5),
  /** 0–1: how fast the highs die away relative to the lows. */
  damping: z.number().min(0).max(1).default(0.5),
  /** Linear level of the reverberated signal (1 = Freeverb's full wet level). */
  wet: z.number().min(0).max(1).default(0.3),
  /** Linear level of the direct signal (1 = unchanged). */
  dry: z.number().min(0).max(1).default(1),
  preDelayMs: z.number().min(0).max(500).default(0),
});
export type ReverbParams = z.output<typeof reverbSchema>;
export type ReverbParamsInput = z.input<typeof reverbSchema>;

// Jezar's Freeverb tunings, in samples at 44.1 kHz; the right channel's are offset by the
// stereo spread so the two tails decorrelate.
const COMB_TUNING = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
const ALLPASS_TUNING = [556, 441, 341, 225];
const STEREO_SPREAD = 23;
const FIXED_GAIN = 0.015;
const WET_SCALE = 3;
const ALLPASS_FEEDBACK = 0.5;
/** Samples processed per delay line at a time (any size gives the same output). */
const BLOCK = 1_024;

/** Eight low-passed feedback combs in parallel, then four allpasses in series: one channel's tail. */
class FreeverbTank {
  private readonly combs: Float64Array[];
  private readonly combPos: Int32Array;
  private readonly combFilter: Float64Array;
  private readonly allpasses: Float64Array[];
  private readonly allpassPos: Int32Array;

  constructor(scale: number, spread: number) {
    const length = (tuning: number) => Math.max(1, Math.round((tuning + spread) * scale));
    this.combs = COMB_TUNING.map((t) => new Float64Array(length(t)));
    this.allpasses = ALLPASS_TUNING.map((t) => new Float64Array(length(t)));
    this.combPos = new Int32Array(this.combs.length);
    this.combFilter = new Float64Array(this.combs.length);
    this.allpassPos = new Int32Array(this.allpasses.length);
  }

  /**
   * The tail of `length` input samples into `out`. One delay line at a time over the block
   * (each comb's and allpass's state in locals, not re-read from arrays for every sample);
   * every sample sees the same operations in the same order as one sample through all of them,
   * so the output is the same to the bit.
   */
  block(input: Float64Array, out: Float64Array, length: number, feedback: number, damp: number): void {
    out.fill(0, 0, length);
    const keep = 1 - damp;
    for (let k = 0; k < this.combs.length; k++) {
      const buffer = this.combs[k]!;
      const size = buffer.length;
      let pos = this.combPos[k]!;
      let filtered = this.combFilter[k]!;
      for (let j = 0; j < length; j++) {
        const delayed = buffer[pos]!;
        filtered = delayed * keep + filtered * damp;
        buffer[pos] = input[j]! + filtered * feedback;
        pos = pos + 1 === size ? 0 : pos + 1;
        out[j]! += delayed;
      }
      this.combPos[k] = pos;
      this.combFilter[k] = filtered;
    }
    for (let k = 0; k < this.allpasses.length; k++) {
      const buffer = this.allpasses[k]!;
      const size = buffer.length;
      let pos = this.allpassPos[k]!;
      for (let j = 0; j < length; j++) {
        const delayed = buffer[pos]!;
        const x = out[j]!;
        buffer[pos] = x + delayed * ALLPASS_FEEDBACK;
        pos = pos + 1 === size ? 0 : pos + 1;
        out[j] = delayed - x;
      }
      this.allpassPos[k] = pos;
    }
  }

  reset(): void {
    for (const b of [...this.combs, ...this.allpasses]) b.fill(0);
    this.combPos.fill(0);
    this.combFilter.fill(0);
    this.allpassPos.fill(0);
  }
}

/**
 * Freeverb (Schroeder–Moorer: parallel low-pass combs into series allpasses), with the
 * delay lengths scaled to the sample rate and a pre-delay before the tank. Both channels'
 * tanks hear the mono sum; the right tank's longer delays give the stereo spread. Fully
 * deterministic. Processing in place keeps the buffer's length: pad it with silence to keep
 * the tail that rings on after the input ends.
 */
export class Reverb implements AudioProcessor {
  readonly params: Readonly<ReverbParams>;
  readonly latencySamples = 0;
  private readonly tanks: FreeverbTank[];
  private readonly feedback: number;
  private readonly damp: number;
  private readonly preDelay: Float64Array;
  private preDelayPos = 0;

  constructor(params: ReverbParamsInput, readonly sampleRate: number, readonly channelCount: number) {
    this.params = Object.freeze(parseInput(reverbSchema, params, 'reverb'));
    assertFormat(sampleRate, channelCount);
    const scale = sampleRate / 44_100;
    this.tanks = Array.from({ length: channelCount }, (_, c) => new FreeverbTank(scale, c * STEREO_SPREAD));
    this.feedback = 0.7 + 0.28 * this.params.roomSize;
    this.damp = 0.4 * this.params.damping;
    this.preDelay = new Float64Array(Math.round((this.params.preDelayMs * sampleRate) / 1000) + 1);
  }

  reset(): void {
    for (const tank of this.tanks) tank.reset();
    this.preDelay.fill(0);
    this.preDelayPos = 0;
  }

  process(channels: Float32Array[]): void {
    assertBlock(channels, this.channelCount);
    const frames = channels[0]?.length ?? 0;
    const { wet, dry } = this.params;
    const wetGain = wet * WET_SCALE;
    // Mono feeds one tank with what a centred stereo source would give it.
    const inputGain = (FIXED_GAIN * 2) / channels.length;
    const delay = this.preDelay;
    const input = new Float64Array(Math.min(BLOCK, frames));
    const tail = new Float64Array(input.length);
    for (let start = 0; start < frames; start += BLOCK) {
      const length = Math.min(BLOCK, frames - start);
      // The block's input is read whole before any of its samples is written.
      for (let j = 0; j < length; j++) {
        let sum = 0;
        for (let c = 0; c < channels.length; c++) sum += channels[c]![start + j]!;
        delay[this.preDelayPos] = sum * inputGain;
        this.preDelayPos = this.preDelayPos + 1 === delay.length ? 0 : this.preDelayPos + 1;
        input[j] = delay[this.preDelayPos]!;
      }
      for (let c = 0; c < channels.length; c++) {
        this.tanks[c]!.block(input, tail, length, this.feedback, this.damp);
        const channel = channels[c]!;
        for (let j = 0; j < length; j++) channel[start + j] = channel[start + j]! * dry + tail[j]! * wetGain;
      }
    }
  }
}

/** Adds reverb to `audio` in place (the tail beyond the buffer's end is cut: pad to keep it). */
export function applyReverb(audio: AudioData, params: ReverbParamsInput): void {
  assertAudio(audio);
  new Reverb(params, audio.sampleRate, audio.channels.length).process(audio.channels);
}
