import { stereoStats } from './dsp';
import { decodeWav } from './io';
import { measureLoudness, type LoudnessReport } from './loudness';
import type { AudioData, BitDepth, SampleFormat } from './types';

/** What every audio result reports (issue 5): loudness, peaks and the file's format. */
export interface AudioAnalysis extends LoudnessReport {
  sampleRate: number;
  channels: number;
  frames: number;
  /** 0 (mono) to 200 (side only); 200·E_side/(E_mid+E_side), see dsp/stereo-width.ts. */
  stereoWidthPercent: number;
  /** Pearson correlation of left and right, −1..1 (1 for mono). */
  correlation: number;
  bitDepth?: BitDepth;
  format?: SampleFormat;
}

export function analyzeAudio(audio: AudioData, stored?: { bitDepth: BitDepth; format: SampleFormat }): AudioAnalysis {
  const stereo = stereoStats(audio);
  return {
    ...measureLoudness(audio),
    stereoWidthPercent: stereo.widthPercent,
    correlation: stereo.correlation,
    sampleRate: audio.sampleRate,
    channels: audio.channels.length,
    frames: audio.channels[0]?.length ?? 0,
    ...(stored ? { bitDepth: stored.bitDepth, format: stored.format } : {}),
  };
}

/** Decodes (and so validates) a WAV file and analyses it. Throws InvalidError for anything that is not a usable WAV. */
export function analyzeWav(data: Uint8Array): { audio: AudioData; analysis: AudioAnalysis } {
  const decoded = decodeWav(data);
  return { audio: decoded.audio, analysis: analyzeAudio(decoded.audio, { bitDepth: decoded.bitDepth, format: decoded.format }) };
}
