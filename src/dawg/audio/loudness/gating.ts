import type { LoudnessBlocks } from './loudness-blocks';
import { lufsFromPower, momentaryLoudness, powerFromLufs, shortTermLoudness } from './loudness-series';

export const ABSOLUTE_GATE_LUFS = -70;
/** BS.1770-4 §2.8: blocks more than 10 LU below the absolutely gated loudness are dropped. */
export const INTEGRATED_RELATIVE_GATE_LU = -10;
/** EBU Tech 3342: short-term blocks more than 20 LU below their gated loudness are dropped. */
export const RANGE_RELATIVE_GATE_LU = -20;
const RANGE_LOW_PERCENTILE = 10;
const RANGE_HIGH_PERCENTILE = 95;

/**
 * Gated integrated loudness (BS.1770-4 §2.8) in LUFS over 400 ms blocks at a 100 ms hop: the
 * absolute gate keeps blocks above −70 LUFS, the relative gate those above (their loudness −
 * 10 LU); the result is the loudness of the mean power of what is left. null when no block
 * passes the absolute gate: silence, near-silence, or audio shorter than 400 ms.
 */
export function integratedLoudness(blocks: LoudnessBlocks): number | null {
  const { power } = momentaryLoudness(blocks);
  const absoluteGate = powerFromLufs(ABSOLUTE_GATE_LUFS);
  const absolute = meanAbove(power, absoluteGate);
  if (absolute === null) return null;
  const relativeGate = Math.max(absoluteGate, absolute * 10 ** (INTEGRATED_RELATIVE_GATE_LU / 10));
  const gated = meanAbove(power, relativeGate);
  return gated === null ? null : lufsFromPower(gated);
}

/**
 * Loudness range (EBU Tech 3342) in LU: the spread between the 10th and 95th percentiles of
 * the 3 s short-term loudness (10 Hz) after an absolute gate at −70 LUFS and a relative gate
 * 20 LU below the power mean of the blocks above it. Gates and percentiles follow Tech 3342's
 * reference code (≥ comparisons, MATLAB-style interpolated percentiles). null when no block
 * passes the gates: silence or audio shorter than 3 s.
 */
export function loudnessRange(blocks: LoudnessBlocks): number | null {
  const { power, lufs } = shortTermLoudness(blocks);
  const absoluteGate = powerFromLufs(ABSOLUTE_GATE_LUFS);
  let sum = 0;
  let count = 0;
  for (const p of power) {
    if (p >= absoluteGate) {
      sum += p;
      count++;
    }
  }
  if (count === 0) return null;
  const relativeGate = lufsFromPower(sum / count) + RANGE_RELATIVE_GATE_LU;
  const kept: number[] = [];
  for (let i = 0; i < power.length; i++) {
    if (power[i]! >= absoluteGate && lufs[i]! >= relativeGate) kept.push(lufs[i]!);
  }
  kept.sort((a, b) => a - b);
  return percentile(kept, RANGE_HIGH_PERCENTILE) - percentile(kept, RANGE_LOW_PERCENTILE);
}

function meanAbove(power: Float64Array, gate: number): number | null {
  let sum = 0;
  let count = 0;
  for (const p of power) {
    if (p > gate) {
      sum += p;
      count++;
    }
  }
  return count === 0 ? null : sum / count;
}

/** MATLAB's prctile on sorted values: value i sits at percentile 100·(i + 0.5)/n, linear in between, clamped at the ends. */
function percentile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  const position = (p / 100) * n - 0.5;
  if (position <= 0) return sorted[0]!;
  if (position >= n - 1) return sorted[n - 1]!;
  const below = Math.floor(position);
  const fraction = position - below;
  return sorted[below]! + fraction * (sorted[below + 1]! - sorted[below]!);
}
