import type { AudioData } from '../types';

/** Full scale minus one 24-bit step or so: a sample at or beyond this was (or will be) clipped. */
export const CLIP_LEVEL = 0.999;

export interface QualityMeasures {
  /** Samples (all channels) at or above CLIP_LEVEL in magnitude. */
  clippedSamples: number;
  /** Longest stretch where every channel stays below the silence threshold, including the start and the end. */
  longestSilenceSeconds: number;
  /** Where that stretch starts (s); null when there is none. */
  longestSilenceAtSeconds: number | null;
}

/**
 * What a quality check needs beyond loudness: clipping and silence. Silence is measured per
 * window (`windowMs`, default 50 ms) on the window's peak across channels, so a quiet fade is
 * silence only once it is below the threshold throughout a window.
 */
export function measureQuality(audio: AudioData, options: { silenceThresholdDbfs: number; windowMs?: number }): QualityMeasures {
  const threshold = 10 ** (options.silenceThresholdDbfs / 20);
  const window = Math.max(1, Math.round((audio.sampleRate * (options.windowMs ?? 50)) / 1000));
  const frames = audio.channels[0]?.length ?? 0;
  let clippedSamples = 0;
  for (const channel of audio.channels) {
    for (let i = 0; i < channel.length; i++) if (Math.abs(channel[i]!) >= CLIP_LEVEL) clippedSamples++;
  }
  let run = 0;
  let runStart = 0;
  let longest = 0;
  let longestAt: number | null = null;
  for (let start = 0; start < frames; start += window) {
    const end = Math.min(frames, start + window);
    let peak = 0;
    for (const channel of audio.channels) {
      for (let i = start; i < end; i++) {
        const v = Math.abs(channel[i]!);
        if (v > peak) peak = v;
      }
    }
    if (peak < threshold) {
      if (run === 0) runStart = start;
      run += end - start;
      if (run > longest) {
        longest = run;
        longestAt = runStart;
      }
    } else {
      run = 0;
    }
  }
  return {
    clippedSamples,
    longestSilenceSeconds: Math.round((longest / audio.sampleRate) * 1000) / 1000,
    longestSilenceAtSeconds: longestAt === null ? null : Math.round((longestAt / audio.sampleRate) * 1000) / 1000,
  };
}
