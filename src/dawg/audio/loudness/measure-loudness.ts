import type { AudioData } from '../types';
import { durationSeconds } from '../types';
import { assertMeasurableAudio } from './audio-validation';
import { integratedLoudness, loudnessRange } from './gating';
import { loudnessBlocksOfValidAudio, type LoudnessOptions } from './loudness-blocks';
import { momentaryLoudness, seriesMaxLufs, shortTermLoudness } from './loudness-series';
import { peaksOfValidAudio } from './true-peak';

/**
 * Loudness and peak figures of one piece of audio (ITU-R BS.1770-4, EBU R128, Tech 3342).
 * Where a figure does not exist it is null rather than −Infinity, so the report is valid
 * JSON: silence (or a signal below the −70 LUFS gate) has no integrated loudness, all-zero
 * audio has no peak level, and audio shorter than 400 ms / 3 s has no momentary /
 * short-term blocks at all.
 */
export interface LoudnessReport {
  /** Gated integrated loudness, LUFS; null when no 400 ms block is above −70 LUFS. */
  integratedLufs: number | null;
  /** EBU Tech 3342 loudness range, LU; null when no 3 s block passes its gates. */
  loudnessRangeLu: number | null;
  /** Loudest 3 s window, LUFS; null for silence or audio under 3 s. */
  shortTermMaxLufs: number | null;
  /** Loudest 400 ms window, LUFS; null for silence or audio under 400 ms. */
  momentaryMaxLufs: number | null;
  /** Largest |sample|, dBFS; null for all-zero audio. */
  samplePeakDbfs: number | null;
  /** Largest |value| of the ≥ 4× (≥ 192 kHz) oversampled signal, dBTP; null for all-zero audio. */
  truePeakDbtp: number | null;
  durationSeconds: number;
}

/**
 * Measures everything in one go: the samples are K-weighted once into 100 ms sub-blocks from
 * which all loudness figures are derived, and oversampled once for the true peak. Throws
 * InvalidError for audio that cannot be measured (see assertMeasurableAudio).
 */
export function measureLoudness(audio: AudioData, options: LoudnessOptions = {}): LoudnessReport {
  assertMeasurableAudio(audio);
  const blocks = loudnessBlocksOfValidAudio(audio, options);
  const peaks = peaksOfValidAudio(audio);
  return {
    integratedLufs: integratedLoudness(blocks),
    loudnessRangeLu: loudnessRange(blocks),
    shortTermMaxLufs: seriesMaxLufs(shortTermLoudness(blocks)),
    momentaryMaxLufs: seriesMaxLufs(momentaryLoudness(blocks)),
    samplePeakDbfs: decibels(peaks.samplePeak),
    truePeakDbtp: decibels(peaks.truePeak),
    durationSeconds: durationSeconds(audio),
  };
}

function decibels(amplitude: number): number | null {
  return amplitude === 0 ? null : 20 * Math.log10(amplitude);
}
