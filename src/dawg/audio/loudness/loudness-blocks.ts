import type { AudioData } from '../types';
import { assertMeasurableAudio } from './audio-validation';
import { resolveChannelWeights } from './channel-weights';
import { accumulateKWeightedEnergy, kWeightingCoefficients } from './k-weighting';

export interface LoudnessOptions {
  /**
   * BS.1770 weight per channel, in channel order. Default: by channel count (1 mono, 2 L R,
   * 3 L R C, 4 L R Ls Rs, 5 L R C Ls Rs, 6 L R C LFE Ls Rs); required for other counts.
   */
  channelWeights?: readonly number[];
}

/**
 * The K-weighted energy of the audio in 100 ms sub-blocks, from which every gated window
 * (400 ms momentary blocks, 3 s short-term blocks, both at a 100 ms hop) is a sum of
 * consecutive sub-blocks, so the samples are filtered once whatever is measured afterwards.
 */
export interface LoudnessBlocks {
  sampleRate: number;
  /** Σ over channels of weight × Σ z² (z = K-weighted sample) in each sub-block. */
  energies: Float64Array;
  /** Frames in each sub-block: rate / 10, alternating between ⌊rate/10⌋ and ⌈rate/10⌉ when that is not whole. */
  frames: Float64Array;
}

export const SUB_BLOCK_SECONDS = 0.1;

/** Validates `audio`, K-weights every channel once and sums it into 100 ms sub-blocks. */
export function measureLoudnessBlocks(audio: AudioData, options: LoudnessOptions = {}): LoudnessBlocks {
  assertMeasurableAudio(audio);
  return loudnessBlocksOfValidAudio(audio, options);
}

/** As measureLoudnessBlocks, for audio that assertMeasurableAudio has already passed. */
export function loudnessBlocksOfValidAudio(audio: AudioData, options: LoudnessOptions): LoudnessBlocks {
  const { sampleRate, channels } = audio;
  const weights = resolveChannelWeights(channels.length, options.channelWeights);
  const boundaries = subBlockBoundaries(sampleRate, channels[0]!.length);
  const count = boundaries.length - 1;
  const energies = new Float64Array(count);
  const frames = new Float64Array(count);
  for (let i = 0; i < count; i++) frames[i] = boundaries[i + 1]! - boundaries[i]!;
  const coefficients = kWeightingCoefficients(sampleRate);
  channels.forEach((samples, index) => {
    const weight = weights[index]!;
    if (weight !== 0) accumulateKWeightedEnergy(samples, coefficients, boundaries, weight, energies);
  });
  return { sampleRate, energies, frames };
}

/**
 * Sub-block i spans frames [⌊i·rate/10⌋, ⌊(i+1)·rate/10⌋): exactly 100 ms at every rate that
 * is a multiple of 10 Hz, and never drifting at the others. Trailing frames that do not fill
 * a sub-block belong to no gating block (BS.1770 gates whole blocks only).
 */
function subBlockBoundaries(sampleRate: number, frameCount: number): Float64Array {
  const count = Math.floor((frameCount * 10) / sampleRate);
  const boundaries = new Float64Array(count + 1);
  for (let i = 0; i <= count; i++) boundaries[i] = Math.floor((i * sampleRate) / 10);
  return boundaries;
}
