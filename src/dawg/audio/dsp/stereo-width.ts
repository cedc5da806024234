import { z } from 'zod';
import type { AudioData } from '../types';
import { parseInput } from '../../../common/validation';
import { assertAudio } from './audio-processor';

export const stereoWidthSchema = z.strictObject({
  /** Side level relative to mid: 0 = mono, 100 = unchanged, 200 = side doubled. */
  widthPercent: z.number().min(0).max(200),
});
export type StereoWidthParams = z.output<typeof stereoWidthSchema>;
export type StereoWidthParamsInput = z.input<typeof stereoWidthSchema>;

/**
 * Mid/side width in place: M = (L+R)/2, S = (L−R)/2, S scaled by width/100, then back to
 * L = M + S, R = M − S. Mono audio has no side and is left as it is; so is width 100, exactly.
 */
export function applyStereoWidth(audio: AudioData, params: StereoWidthParamsInput): void {
  const { widthPercent } = parseInput(stereoWidthSchema, params, 'stereoWidth');
  assertAudio(audio);
  const [left, right] = audio.channels;
  if (!left || !right || widthPercent === 100) return;
  const width = widthPercent / 100;
  for (let i = 0; i < left.length; i++) {
    const l = left[i]!;
    const r = right[i]!;
    const mid = (l + r) * 0.5;
    const side = (l - r) * 0.5 * width;
    left[i] = mid + side;
    right[i] = mid - side;
  }
}

export interface StereoStats {
  /**
   * Side energy as a share of the total, scaled to 0–200 %: 200·E_S / (E_M + E_S) with
   * M = (L+R)/2 and S = (L−R)/2. 0 is mono, 100 is as much side as mid (uncorrelated
   * channels of equal level, or one channel silent), 200 is the channels in antiphase.
   * For channels of equal level it equals 100·(1 − correlation). It is a bounded form of
   * the side/mid energy ratio (E_S/E_M = w / (200 − w)), which goes to infinity in antiphase.
   */
  widthPercent: number;
  /**
   * Pearson correlation of L and R, −1 … 1. When a channel is constant (e.g. silent) it
   * is undefined; reported as 1 if the channels are identical, otherwise 0.
   */
  correlation: number;
}

/** Width and correlation of stereo audio; mono audio is reported as width 0, correlation 1. */
export function stereoStats(audio: AudioData): StereoStats {
  assertAudio(audio);
  const [left, right] = audio.channels;
  if (!left || !right) return { widthPercent: 0, correlation: 1 };
  const n = left.length;
  let sumL = 0;
  let sumR = 0;
  let sumLL = 0;
  let sumRR = 0;
  let sumLR = 0;
  for (let i = 0; i < n; i++) {
    const l = left[i]!;
    const r = right[i]!;
    sumL += l;
    sumR += r;
    sumLL += l * l;
    sumRR += r * r;
    sumLR += l * r;
  }
  // E_M ∝ (LL + RR + 2LR)/4 and E_S ∝ (LL + RR − 2LR)/4; the common factors cancel.
  const total = sumLL + sumRR;
  const widthPercent = total > 0 ? (100 * (total - 2 * sumLR)) / total : 0;
  const covariance = n > 0 ? sumLR / n - (sumL / n) * (sumR / n) : 0;
  const varianceL = n > 0 ? sumLL / n - (sumL / n) ** 2 : 0;
  const varianceR = n > 0 ? sumRR / n - (sumR / n) ** 2 : 0;
  const denominator = Math.sqrt(varianceL * varianceR);
  let correlation: number;
  if (denominator > 1e-20) correlation = Math.max(-1, Math.min(1, covariance / denominator));
  else correlation = identical(left, right) ? 1 : 0;
  return { widthPercent: Math.max(0, Math.min(200, widthPercent)), correlation };
}

function identical(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
