import { z } from 'zod';
import { InvalidError } from '../../../common/errors';
import { scaleInPlace } from '../dsp';
import { integratedLoudness, measureLoudnessBlocks } from '../loudness';
import type { AudioData } from '../types';
import { MasteringLimiter } from './mastering-limiter';

import { MASTER_TARGETS } from './targets';

export { MASTER_TARGETS };

export const masterTargetSchema = z
  .object({
    target: z.enum(['spotify', 'youtube', 'apple-music', 'custom']).default('spotify'),
    lufs: z.number().min(-40).max(-5).optional(),
    truePeak: z.number().min(-12).max(0).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.target === 'custom' && (v.lufs === undefined || v.truePeak === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.lufs === undefined ? 'lufs' : 'truePeak'], message: 'is required when target is custom' });
    }
  });
export type MasterTargetInput = z.input<typeof masterTargetSchema>;

export function resolveTarget(input: z.output<typeof masterTargetSchema>): { name: string; lufs: number; truePeakDbtp: number } {
  const preset = input.target === 'custom' ? undefined : MASTER_TARGETS[input.target];
  return { name: input.target, lufs: input.lufs ?? preset!.lufs, truePeakDbtp: input.truePeak ?? preset!.truePeakDbtp };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface MasterResult {
  audio: AudioData;
  gainDb: number;
  limiterReductionDb: number;
  iterations: number;
  inputLufs: number;
}

/** The first pass aims this far above the target: trimming down afterwards is exact and safe, going up needs another pass. */
const OVERSHOOT_DB = 0.3;

/** Integrated loudness only (no true peak): what the passes need, at a third of the cost. */
const integrated = (audio: AudioData) => integratedLoudness(measureLoudnessBlocks(audio)) ?? -Infinity;

/**
 * Brings `input` to `lufs` integrated with its true peak at or under `truePeakDbtp`: gain,
 * then the limiter. The first pass aims slightly above the target, so usually one pass and a
 * plain gain trim (which only lowers peaks) land it exactly; when the limiter took away more
 * than that, the gain is corrected and the chain re-run from the original (at most 4 passes).
 * From the second correction on, the step is divided by the loudness gained per dB between the
 * last two passes: under heavy limiting a dB of gain adds much less than a dB of loudness.
 * The limiter's detection runs once for all passes (MasteringLimiter): a pass after the first
 * costs its gain stage and a loudness measurement.
 */
export async function masterAudio(input: AudioData, target: { lufs: number; truePeakDbtp: number }, signal?: AbortSignal): Promise<MasterResult> {
  const inputLufs = integratedLoudness(measureLoudnessBlocks(input));
  if (inputLufs === null) {
    throw new InvalidError('The audio is silent (or shorter than 400 ms): there is no loudness to master', { issues: [{ field: 'file', message: 'has no measurable loudness' }] });
  }
  const limiter = new MasteringLimiter(input, { ceilingDbtp: target.truePeakDbtp, lookaheadMs: 1.5, releaseMs: 80 });
  let gainDb = target.lufs - inputLufs + OVERSHOOT_DB;
  let best: { result: MasterResult; error: number } | undefined;
  // Buffers of a pass that is neither returned nor the best so far, for the next pass to reuse.
  let spare: Float32Array[] | undefined;
  let previous: { gainDb: number; lufs: number } | undefined;
  for (let pass = 1; pass <= 4; pass++) {
    const { audio, reductionDb } = await limiter.render(gainDb, signal, spare);
    const lufs = integrated(audio);
    const error = target.lufs - lufs;
    if (error <= 0 && error > -6) {
      // Too loud by a little: a gain below 1 lowers loudness by exactly that and every peak with it.
      scaleInPlace(audio, error);
      return { audio, gainDb: gainDb + error, limiterReductionDb: reductionDb, iterations: pass, inputLufs };
    }
    if (!best || Math.abs(error) < best.error) {
      spare = best?.result.audio.channels;
      best = { result: { audio, gainDb, limiterReductionDb: reductionDb, iterations: pass, inputLufs }, error: Math.abs(error) };
    } else {
      spare = audio.channels;
    }
    // Under heavy limiting a dB of gain adds less than a dB of loudness: the slope measured
    // between the last two passes says how much (secant step), bounded so noise cannot send
    // the gain wild.
    const slope = previous && gainDb !== previous.gainDb ? Math.min(1, Math.max(0.1, (lufs - previous.lufs) / (gainDb - previous.gainDb))) : 1;
    previous = { gainDb, lufs };
    gainDb += (error + OVERSHOOT_DB) / slope;
    await yieldToLoop();
  }
  return best!.result;
}
