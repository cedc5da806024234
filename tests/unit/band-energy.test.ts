import { BiquadFilter, biquadCoefficients, type BiquadBandInput } from '../../src/dawg/audio/dsp';
import { BAND_EDGES_HZ, bandEnergy } from '../../src/dawg/audio/render/band-energy';
import type { AudioData } from '../../src/dawg/audio/types';

const RATE = 48_000;
const tone = (hz: number, seconds = 2, amplitude = 0.5) => Float32Array.from({ length: RATE * seconds }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));

/** The bands as separate filter passes with the DSP's BiquadFilter: what the fused pass must agree with. */
function reference(audio: AudioData): { low: number; mid: number; high: number } {
  const sections = (type: 'low-pass' | 'high-pass', freq: number): BiquadBandInput[] => [
    { type, freq, q: Math.SQRT1_2 },
    { type, freq, q: Math.SQRT1_2 },
  ];
  const energy = (bands: BiquadBandInput[]) => {
    let sum = 0;
    audio.channels.forEach((channel, c) => {
      const copy = channel.slice();
      for (const band of bands) new BiquadFilter(biquadCoefficients(band, RATE), audio.channels.length).process(copy, c);
      for (const v of copy) sum += v * v;
    });
    return sum / audio.channels[0]!.length;
  };
  return {
    low: energy(sections('low-pass', BAND_EDGES_HZ.low)),
    mid: energy([...sections('high-pass', BAND_EDGES_HZ.low), ...sections('low-pass', BAND_EDGES_HZ.high)]),
    high: energy(sections('high-pass', BAND_EDGES_HZ.high)),
  };
}

describe('bandEnergy', () => {
  it('puts a tone in its band: 100 Hz low, 1 kHz mid, 10 kHz high', () => {
    const shares = (hz: number) => bandEnergy({ sampleRate: RATE, channels: [tone(hz)] });
    expect(shares(100).lowShare).toBeGreaterThan(0.95);
    expect(shares(1_000).midShare).toBeGreaterThan(0.95);
    expect(shares(10_000).highShare).toBeGreaterThan(0.95);
    // A 0.5 sine is −9 dBFS mean square; in its own band it keeps nearly all of it.
    expect(shares(1_000).midDb!).toBeCloseTo(10 * Math.log10(0.125), 0);
  });

  it('agrees with separate filter passes on stereo music-like material with silences', () => {
    const left = new Float32Array(RATE * 6);
    const right = new Float32Array(RATE * 6);
    let seed = 7;
    for (let i = 0; i < left.length; i++) {
      // Sound for 1 s, silence for 1 s: the filters' tails run down through the silences.
      const on = Math.floor(i / RATE) % 2 === 0 ? 1 : 0;
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = seed / 2 ** 31 - 1;
      left[i] = on * (0.3 * Math.sin((2 * Math.PI * 80 * i) / RATE) + 0.1 * Math.sin((2 * Math.PI * 2_000 * i) / RATE) + 0.05 * noise);
      right[i] = on * (0.2 * Math.sin((2 * Math.PI * 6_000 * i) / RATE) + 0.05 * noise);
    }
    const audio = { sampleRate: RATE, channels: [left, right] };
    const before = [left.slice(), right.slice()];
    const fused = bandEnergy(audio);
    const ref = reference(audio);
    expect(fused.lowDb!).toBeCloseTo(10 * Math.log10(ref.low), 4);
    expect(fused.midDb!).toBeCloseTo(10 * Math.log10(ref.mid), 4);
    expect(fused.highDb!).toBeCloseTo(10 * Math.log10(ref.high), 4);
    expect(fused.lowShare + fused.midShare + fused.highShare).toBeCloseTo(1, 12);
    // The input is not touched.
    expect(Buffer.compare(Buffer.from(left.buffer), Buffer.from(before[0]!.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(right.buffer), Buffer.from(before[1]!.buffer))).toBe(0);
  });

  it('reports silence as no energy, and empty audio as none', () => {
    expect(bandEnergy({ sampleRate: RATE, channels: [new Float32Array(RATE), new Float32Array(RATE)] })).toEqual({ lowDb: null, midDb: null, highDb: null, lowShare: 0, midShare: 0, highShare: 0 });
    expect(bandEnergy({ sampleRate: RATE, channels: [new Float32Array(0)] })).toEqual({ lowDb: null, midDb: null, highDb: null, lowShare: 0, midShare: 0, highShare: 0 });
  });
});
