import { decodeWav } from './io';
import { measureLoudness, type LoudnessReport } from './loudness';
import type { AudioData, BitDepth, SampleFormat } from './types';

/** What every audio result reports (issue 5): loudness, peaks and the file's format. */
export interface AudioAnalysis extends LoudnessReport {
  sampleRate: number;
  channels: number;
  frames: number;
  bitDepth?: BitDepth;
  format?: SampleFormat;
}

export function analyzeAudio(audio: AudioData, stored?: { bitDepth: BitDepth; format: SampleFormat }): AudioAnalysis {
  return {
    ...measureLoudness(audio),
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
