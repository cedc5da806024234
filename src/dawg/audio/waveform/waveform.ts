import { fieldError } from '../../../common/validation';
import { integratedLoudness, measureLoudnessBlocks, truePeak } from '../loudness';
import { durationSeconds, frameCount, type AudioData } from '../types';
import { loudnessCurve, type LoudnessCurve } from './loudness-curve';
import { peakBuckets, type PeakPair } from './peak-buckets';

/** Buckets a waveform may be drawn with: fewer says nothing, more is more than a screen is wide. */
export const WAVEFORM_POINTS = { default: 800, min: 50, max: 4_000 } as const;

/** What a track view draws: the outline, the loudness over time and the two headline figures. */
export interface Waveform {
  durationSeconds: number;
  sampleRate: number;
  channels: number;
  /** Buckets in `peaks`: the points asked for, or the frame count when the audio has fewer frames. */
  points: number;
  peaks: PeakPair[];
  loudness: LoudnessCurve;
  /** Gated integrated loudness (BS.1770-4), LUFS; null below the −70 LUFS gate or under 400 ms. */
  integratedLufs: number | null;
  /** BS.1770-4 Annex 2 true peak, dBTP; null for all-zero audio. */
  truePeakDbtp: number | null;
}

/**
 * The waveform of `audio` in `points` buckets (at most one per frame). The samples are
 * K-weighted once, and the curve and integrated loudness both come from those blocks, as in
 * measureLoudness. Throws InvalidError for audio that cannot be measured.
 */
export function computeWaveform(audio: AudioData, points: number): Waveform {
  if (!Number.isInteger(points) || points < 1) throw fieldError('points', `must be a whole number ≥ 1, got ${points}`);
  const blocks = measureLoudnessBlocks(audio);
  const buckets = Math.min(points, frameCount(audio));
  const peak = truePeak(audio);
  return {
    durationSeconds: durationSeconds(audio),
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    points: buckets,
    peaks: peakBuckets(audio, buckets),
    loudness: loudnessCurve(blocks),
    integratedLufs: integratedLoudness(blocks),
    truePeakDbtp: peak === 0 ? null : 20 * Math.log10(peak),
  };
}
