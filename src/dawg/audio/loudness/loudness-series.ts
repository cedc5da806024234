import type { LoudnessBlocks } from './loudness-blocks';
import { SUB_BLOCK_SECONDS } from './loudness-blocks';

/** BS.1770: loudness = −0.691 + 10·log10(Σ weight·mean z²); the offset makes a 1 kHz tone read its RMS level. */
const LOUDNESS_OFFSET_DB = -0.691;
const MOMENTARY_SUB_BLOCKS = 4; // 400 ms
const SHORT_TERM_SUB_BLOCKS = 30; // 3 s

/**
 * Loudness of sliding windows at a 100 ms hop. Window i covers
 * [i·hopSeconds, i·hopSeconds + windowSeconds) of the audio; only whole windows are listed,
 * so audio shorter than one window gives empty arrays.
 */
export interface LoudnessSeries {
  windowSeconds: number;
  hopSeconds: number;
  /** Channel-weighted mean square of the K-weighted samples in each window (BS.1770's Σ G·z). */
  power: Float64Array;
  /** Loudness of each window in LUFS; −Infinity where the window is digitally silent. */
  lufs: Float64Array;
}

/** EBU R128 momentary loudness: 400 ms windows, 75 % overlap (also BS.1770's gating blocks). */
export function momentaryLoudness(blocks: LoudnessBlocks): LoudnessSeries {
  return windowSeries(blocks, MOMENTARY_SUB_BLOCKS);
}

/** EBU R128 short-term loudness: 3 s windows at 10 Hz (also Tech 3342's LRA blocks). */
export function shortTermLoudness(blocks: LoudnessBlocks): LoudnessSeries {
  return windowSeries(blocks, SHORT_TERM_SUB_BLOCKS);
}

/** LUFS of a channel-weighted mean-square power; −Infinity for 0. */
export function lufsFromPower(power: number): number {
  return LOUDNESS_OFFSET_DB + 10 * Math.log10(power);
}

/** Power whose loudness is `lufs` (the inverse of lufsFromPower), for gating in the power domain. */
export function powerFromLufs(lufs: number): number {
  return 10 ** ((lufs - LOUDNESS_OFFSET_DB) / 10);
}

/** The largest value of a series, or null when it is empty or all −Infinity (silence). */
export function seriesMaxLufs(series: LoudnessSeries): number | null {
  let max = -Infinity;
  for (const value of series.lufs) if (value > max) max = value;
  return max === -Infinity ? null : max;
}

function windowSeries(blocks: LoudnessBlocks, width: number): LoudnessSeries {
  const { energies, frames } = blocks;
  const count = Math.max(0, energies.length - width + 1);
  const power = new Float64Array(count);
  const lufs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    // Summed afresh rather than as a running difference, so a silent window is exactly 0
    // after a loud one instead of a rounding residue.
    let energy = 0;
    let frameCount = 0;
    for (let j = i; j < i + width; j++) {
      energy += energies[j]!;
      frameCount += frames[j]!;
    }
    power[i] = energy / frameCount;
    lufs[i] = lufsFromPower(power[i]!);
  }
  return { windowSeconds: width * SUB_BLOCK_SECONDS, hopSeconds: SUB_BLOCK_SECONDS, power, lufs };
}
