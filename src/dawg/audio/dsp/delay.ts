import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { type AudioProcessor, assertAudio, assertBlock, assertFormat } from './audio-processor';

export const delaySchema = z.strictObject({
  /** Delay in ms, rounded to whole samples. */
  timeMs: z.number().min(1).max(5000),
  /** Share of each echo fed back into the line; below 1 so the echoes die away. */
  feedback: z.number().min(0).max(0.95).default(0.3),
  wet: z.number().min(0).max(1).default(0.5),
  dry: z.number().min(0).max(1).default(1),
  /**
   * Stereo only: the mono sum enters the left line and each line feeds back into the
   * other, so echoes alternate left, right, left…
   */
  pingPong: z.boolean().default(false),
});
export type DelayParams = z.output<typeof delaySchema>;
export type DelayParamsInput = z.input<typeof delaySchema>;

/**
 * A feedback delay: out = dry·x + wet·d, where d is the line's output and the line takes
 * x + feedback·d. An impulse comes out `delaySamples` later at `wet`, then again every
 * `delaySamples` scaled by `feedback` each time. Lines are kept in double precision.
 * In place, the buffer's length is kept: echoes past its end are cut (pad to keep them).
 */
export class Delay implements AudioProcessor {
  readonly params: Readonly<DelayParams>;
  readonly latencySamples = 0;
  readonly delaySamples: number;
  private readonly lines: Float64Array[];
  private pos = 0;

  constructor(params: DelayParamsInput, readonly sampleRate: number, readonly channelCount: number) {
    this.params = Object.freeze(parseInput(delaySchema, params, 'delay'));
    assertFormat(sampleRate, channelCount);
    this.delaySamples = Math.max(1, Math.round((this.params.timeMs * sampleRate) / 1000));
    this.lines = Array.from({ length: channelCount }, () => new Float64Array(this.delaySamples));
  }

  reset(): void {
    for (const line of this.lines) line.fill(0);
    this.pos = 0;
  }

  process(channels: Float32Array[]): void {
    assertBlock(channels, this.channelCount);
    if (this.params.pingPong && channels.length === 2) this.processPingPong(channels);
    else this.processStraight(channels);
  }

  private processStraight(channels: Float32Array[]): void {
    const { feedback, wet, dry } = this.params;
    const frames = channels[0]?.length ?? 0;
    let pos = this.pos;
    for (let i = 0; i < frames; i++) {
      for (let c = 0; c < channels.length; c++) {
        const line = this.lines[c]!;
        const x = channels[c]![i]!;
        const delayed = line[pos]!;
        line[pos] = x + feedback * delayed;
        channels[c]![i] = dry * x + wet * delayed;
      }
      pos = pos + 1 === this.delaySamples ? 0 : pos + 1;
    }
    this.pos = pos;
  }

  private processPingPong(channels: Float32Array[]): void {
    const { feedback, wet, dry } = this.params;
    const [left, right] = channels as [Float32Array, Float32Array];
    const [lineL, lineR] = this.lines as [Float64Array, Float64Array];
    let pos = this.pos;
    for (let i = 0; i < left.length; i++) {
      const l = left[i]!;
      const r = right[i]!;
      const delayedL = lineL[pos]!;
      const delayedR = lineR[pos]!;
      lineL[pos] = (l + r) * 0.5 + feedback * delayedR;
      lineR[pos] = feedback * delayedL;
      left[i] = dry * l + wet * delayedL;
      right[i] = dry * r + wet * delayedR;
      pos = pos + 1 === this.delaySamples ? 0 : pos + 1;
    }
    this.pos = pos;
  }
}

/** Adds echoes to `audio` in place (echoes past the buffer's end are cut: pad to keep them). */
export function applyDelay(audio: AudioData, params: DelayParamsInput): void {
  assertAudio(audio);
  new Delay(params, audio.sampleRate, audio.channels.length).process(audio.channels);
}
