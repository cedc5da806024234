/**
 * Audio as the engine processes it: planar 32-bit float channels at one sample rate, samples
 * nominally in [-1, 1] (float headroom above 1 is kept until export).
 */
export interface AudioData {
  sampleRate: number;
  /** One Float32Array per channel (1 = mono, 2 = stereo: left, right), all the same length. */
  channels: Float32Array[];
}

/** Stored sample formats of a WAV file. */
export type BitDepth = 16 | 24 | 32;
export type SampleFormat = 'pcm' | 'float';

export const SUPPORTED_SAMPLE_RATES = [44_100, 48_000, 96_000] as const;

export function frameCount(audio: AudioData): number {
  return audio.channels[0]?.length ?? 0;
}

export function durationSeconds(audio: AudioData): number {
  return frameCount(audio) / audio.sampleRate;
}

/** An AudioData with `channelCount` silent channels of `frames` samples. */
export function silence(sampleRate: number, channelCount: number, frames: number): AudioData {
  return { sampleRate, channels: Array.from({ length: channelCount }, () => new Float32Array(frames)) };
}
