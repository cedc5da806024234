import { ABSOLUTE_GATE_LUFS, shortTermLoudness, type LoudnessBlocks } from '../loudness';

/** The curve a track view draws: EBU R128 short-term loudness (3 s windows) once a second. */
export const LOUDNESS_CURVE_WINDOW_SECONDS = 3;
export const LOUDNESS_CURVE_HOP_SECONDS = 1;

export interface LoudnessCurve {
  windowSeconds: number;
  hopSeconds: number;
  /**
   * lufs[i] is the K-weighted loudness of [i·hopSeconds, i·hopSeconds + windowSeconds), to
   * 0.01 LU; null where it is below the −70 LUFS absolute gate (silence). Only whole windows:
   * audio shorter than 3 s has none.
   */
  lufs: Array<number | null>;
}

/**
 * Every tenth value of the short-term series (which runs at R128's 100 ms hop), so the curve
 * is the same measurement a meter shows, not a second implementation of it.
 */
export function loudnessCurve(blocks: LoudnessBlocks): LoudnessCurve {
  const series = shortTermLoudness(blocks);
  if (series.windowSeconds !== LOUDNESS_CURVE_WINDOW_SECONDS) throw new Error(`loudnessCurve: short-term windows are ${series.windowSeconds} s, expected ${LOUDNESS_CURVE_WINDOW_SECONDS} s`);
  const step = Math.round(LOUDNESS_CURVE_HOP_SECONDS / series.hopSeconds);
  const lufs: Array<number | null> = [];
  for (let i = 0; i < series.lufs.length; i += step) {
    const value = series.lufs[i]!;
    lufs.push(value < ABSOLUTE_GATE_LUFS ? null : Math.round(value * 100) / 100);
  }
  return { windowSeconds: LOUDNESS_CURVE_WINDOW_SECONDS, hopSeconds: LOUDNESS_CURVE_HOP_SECONDS, lufs };
}
