import type { AudioData } from '../types';

/** [smallest, largest] sample of one bucket. */
export type PeakPair = [min: number, max: number];

/** 4 decimals: 1e-4 of full scale (−80 dBFS) is finer than any waveform display draws. */
const SCALE = 10_000;

/**
 * The outline of `audio` in `buckets` consecutive runs of frames: each bucket's smallest and
 * largest sample over all channels, clamped to −1..1 (float audio may go past full scale) and
 * rounded to 4 decimals. Bucket b holds frames [⌊b·n/buckets⌋, ⌊(b+1)·n/buckets⌋), so every
 * frame is in exactly one bucket and no bucket is empty when buckets ≤ n.
 */
export function peakBuckets(audio: AudioData, buckets: number): PeakPair[] {
  const frames = audio.channels[0]?.length ?? 0;
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > frames) {
    throw new RangeError(`peakBuckets: buckets must be a whole number from 1 to the frame count (${frames}), got ${buckets}`);
  }
  const min = new Float64Array(buckets).fill(Infinity);
  const max = new Float64Array(buckets).fill(-Infinity);
  for (const samples of audio.channels) {
    for (let b = 0; b < buckets; b++) {
      const end = Math.floor(((b + 1) * frames) / buckets);
      let lo = min[b]!;
      let hi = max[b]!;
      for (let i = Math.floor((b * frames) / buckets); i < end; i++) {
        const x = samples[i]!;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      min[b] = lo;
      max[b] = hi;
    }
  }
  return Array.from({ length: buckets }, (_, b): PeakPair => [display(min[b]!), display(max[b]!)]);
}

function display(sample: number): number {
  // `+ 0` turns the −0 that rounding a tiny negative sample gives into 0.
  return Math.round(Math.min(1, Math.max(-1, sample)) * SCALE) / SCALE + 0;
}
