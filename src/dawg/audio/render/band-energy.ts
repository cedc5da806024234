import { BiquadFilter, biquadCoefficients, type BiquadBandInput } from '../dsp';
import type { AudioData } from '../types';

/** Band edges of the low/mid/high split reported with a mix: lows below 250 Hz, highs above 4 kHz. */
export const BAND_EDGES_HZ = Object.freeze({ low: 250, high: 4_000 });

export interface BandEnergy {
  /** Mean-square energy of each band relative to full scale, dB; null when the band is silent. */
  lowDb: number | null;
  midDb: number | null;
  highDb: number | null;
  /** Each band's fraction of the three bands' total energy (0 for silence). */
  lowShare: number;
  midShare: number;
  highShare: number;
}

// Two Butterworth sections per edge (24 dB/octave, Linkwitz–Riley-like) so the bands barely overlap.
const butterworth = (type: 'low-pass' | 'high-pass', freq: number): BiquadBandInput[] => [
  { type, freq, q: Math.SQRT1_2 },
  { type, freq, q: Math.SQRT1_2 },
];
const BANDS: Record<'low' | 'mid' | 'high', BiquadBandInput[]> = {
  low: butterworth('low-pass', BAND_EDGES_HZ.low),
  mid: [...butterworth('high-pass', BAND_EDGES_HZ.low), ...butterworth('low-pass', BAND_EDGES_HZ.high)],
  high: butterworth('high-pass', BAND_EDGES_HZ.high),
};

/** Splits `audio` (unchanged) into low, mid and high bands with the DSP biquads and measures each. */
export function bandEnergy(audio: AudioData): BandEnergy {
  const low = energyOf(audio, BANDS.low);
  const mid = energyOf(audio, BANDS.mid);
  const high = energyOf(audio, BANDS.high);
  const total = low + mid + high;
  const db = (e: number) => (e > 0 ? 10 * Math.log10(e) : null);
  const share = (e: number) => (total > 0 ? e / total : 0);
  return { lowDb: db(low), midDb: db(mid), highDb: db(high), lowShare: share(low), midShare: share(mid), highShare: share(high) };
}

function energyOf(audio: AudioData, bands: BiquadBandInput[]): number {
  const frames = audio.channels[0]?.length ?? 0;
  if (frames === 0) return 0;
  const filters = bands.map((band) => new BiquadFilter(biquadCoefficients(band, audio.sampleRate), audio.channels.length));
  let sum = 0;
  audio.channels.forEach((channel, c) => {
    const copy = channel.slice();
    for (const filter of filters) filter.process(copy, c);
    for (let i = 0; i < copy.length; i++) sum += copy[i]! * copy[i]!;
  });
  return sum / frames;
}
