import { BiquadFilter, biquadCoefficients, magnitudeDb, type BiquadBandInput } from '../../src/dawg/audio/dsp';
import { detectResonances, fftSizeFor, resonanceCuts, welchSpectrum } from '../../src/dawg/audio/render';
import type { AudioData } from '../../src/dawg/audio/types';
import { mulberry32 } from '../helpers/random';

const RATE = 48_000;

/** Seeded uniform white noise in ±amp (mulberry32: an LCG's low bits carry tones the detector rightly finds). */
function noise(seconds: number, amp: number, seed = 1, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  const next = mulberry32(seed);
  for (let i = 0; i < out.length; i++) out[i] = amp * (2 * next() - 1);
  return out;
}

/**
 * Amplitude of a sine standing `db` above the spectrum of uniform noise of amplitude `amp`: per
 * Hann-windowed bin the noise reads 6σ²/N on the detector's scale (σ² = amp²/3), a sine A².
 */
const sineAbove = (amp: number, db: number, n = 8192) => Math.sqrt((10 ** (db / 10) * 6 * (amp * amp)) / 3 / n);

function addSine(x: Float32Array, freq: number, amp: number, rate = RATE): Float32Array {
  for (let i = 0; i < x.length; i++) x[i]! += amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

function filtered(x: Float32Array, band: BiquadBandInput, rate = RATE): Float32Array {
  new BiquadFilter(biquadCoefficients(band, rate), 1).process(x, 0);
  return x;
}

/** Paul Kellet's economy pink filter: −3 dB/octave within ±0.5 dB above ~40 Hz. */
function pink(x: Float32Array): Float32Array {
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  return x.map((w) => {
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    return (b0 + b1 + b2 + w * 0.1848) * 0.3;
  });
}

const stereo = (x: Float32Array, rate = RATE): AudioData => ({ sampleRate: rate, channels: [x, x.slice()] });

/** The true −3 dB Q of a peaking band, read off its analytic response. */
function halfPowerQ(band: BiquadBandInput & { freq: number }): number {
  const coeffs = biquadCoefficients(band, RATE);
  const top = magnitudeDb(coeffs, band.freq, RATE);
  let lo = band.freq;
  let hi = band.freq;
  while (magnitudeDb(coeffs, lo, RATE) > top - 3) lo -= 0.05;
  while (magnitudeDb(coeffs, hi, RATE) > top - 3) hi += 0.05;
  return band.freq / (hi - lo);
}

describe('resonance detection', () => {
  it('reads a full-scale sine at a bin centre as 0 dB (the FFT and its scale)', () => {
    const n = fftSizeFor(RATE);
    const bin = 341;
    const result = welchSpectrum(stereo(addSine(new Float32Array(RATE * 2), (bin * RATE) / n, 1)));
    if (!result.ok) throw new Error(result.reason);
    expect(result.spectrum.averageDb[bin]).toBeCloseTo(0, 3);
    expect(result.spectrum.averageDb[bin + 1]).toBeCloseTo(-6.02, 1); // the Hann window's neighbour bin
    expect(result.spectrum.averageDb[bin + 10]!).toBeLessThan(-100);
  });

  it('finds nothing in white or pink noise', () => {
    for (const seed of [1, 2, 3]) {
      expect(detectResonances(stereo(noise(3, 0.3, seed)))).toEqual({ status: 'analysed', resonances: [], probes: [] });
      expect(detectResonances(stereo(pink(noise(3, 0.3, seed)))).resonances).toEqual([]);
    }
  });

  it('finds a steady 2 kHz sine 15 dB above the noise, at its frequency and level', () => {
    const { status, resonances } = detectResonances(stereo(addSine(noise(3, 0.3), 2_000, sineAbove(0.3, 15))));
    expect(status).toBe('analysed');
    expect(resonances).toHaveLength(1);
    const [found] = resonances;
    expect(Math.abs(found!.frequencyHz - 2_000)).toBeLessThan(20);
    expect(found!.excessDb).toBeGreaterThan(13);
    expect(found!.excessDb).toBeLessThan(17);
    // A line is narrower than any notch: its Q is the clamp's top.
    expect(found!.q).toBe(16);
    expect(found!.persistence).toBeGreaterThan(0.95);
  });

  it('reports at most three, strongest first', () => {
    const x = noise(3, 0.3);
    [[700, 8], [1_500, 20], [3_100, 12], [5_300, 16]].forEach(([f, db]) => addSine(x, f!, sineAbove(0.3, db!)));
    const found = detectResonances(stereo(x)).resonances;
    expect(found.map((r) => Math.round(r.frequencyHz / 100) * 100)).toEqual([1_500, 5_300, 3_100]);
  });

  it('ignores a peak more than 60 dB under the spectrum (inaudible under a loud tone), not one within it', () => {
    const track = (noiseAmp: number) => addSine(addSine(noise(3, noiseAmp), 100, 0.5), 2_000, sineAbove(noiseAmp, 15));
    // 2 kHz at about −112 dB (re a full-scale sine) under a −6 dB 100 Hz tone, then at about −51 dB.
    expect(detectResonances(stereo(track(3e-5))).resonances).toEqual([]);
    expect(detectResonances(stereo(track(0.03))).resonances.map((r) => Math.round(r.frequencyHz / 10) * 10)).toEqual([2_000]);
  });

  it('leaves a melody alone (each note is there for a moment) but finds the same tone held', () => {
    const notes = [440, 494, 523, 587, 659, 698, 784, 880];
    const amp = sineAbove(0.3, 20);
    const melody = noise(3, 0.3);
    let phase = 0;
    for (let i = 0; i < melody.length; i++) {
      phase += (2 * Math.PI * notes[(Math.floor(i / (0.2 * RATE)) * 3) % notes.length]!) / RATE;
      melody[i]! += amp * Math.sin(phase);
    }
    expect(detectResonances(stereo(melody)).resonances).toEqual([]);
    const held = detectResonances(stereo(addSine(noise(3, 0.3), 523, amp))).resonances;
    expect(held).toHaveLength(1);
    expect(Math.abs(held[0]!.frequencyHz - 523)).toBeLessThan(5);
  });

  it('ignores resonances below 150 Hz and above 10 kHz', () => {
    const amp = sineAbove(0.3, 20);
    const outside = addSine(addSine(noise(3, 0.3), 100, amp), 12_000, amp);
    expect(detectResonances(stereo(outside)).resonances).toEqual([]);
    const inside = addSine(addSine(noise(3, 0.3), 160, amp), 9_500, amp);
    expect(detectResonances(stereo(inside)).resonances.map((r) => Math.round(r.frequencyHz / 10) * 10).sort((a, b) => a - b)).toEqual([160, 9_500]);
  });

  it('reads a narrow ringing band with a higher Q than a wide one, close to their true −3 dB Q', () => {
    const narrowBand = { type: 'peaking', freq: 2_000, gainDb: 18, q: 4 } as const;
    const wideBand = { type: 'peaking', freq: 2_000, gainDb: 18, q: 2 } as const;
    const [narrow] = detectResonances(stereo(filtered(noise(3, 0.1, 7), narrowBand))).resonances;
    const [wide] = detectResonances(stereo(filtered(noise(3, 0.1, 7), wideBand))).resonances;
    expect(Math.abs(narrow!.frequencyHz - 2_000)).toBeLessThan(20);
    expect(Math.abs(wide!.frequencyHz - 2_000)).toBeLessThan(20);
    expect(narrow!.q).toBeGreaterThan(wide!.q + 3);
    // True −3 dB Q: 11.2 and 5.6.
    expect(narrow!.q / halfPowerQ(narrowBand)).toBeGreaterThan(0.75);
    expect(narrow!.q / halfPowerQ(narrowBand)).toBeLessThan(1.25);
    expect(wide!.q / halfPowerQ(wideBand)).toBeGreaterThan(0.75);
    expect(wide!.q / halfPowerQ(wideBand)).toBeLessThan(1.25);
  });

  it('measures a notch at a probe: a −6 dB cut at the detected frequency lowers the excess by about 6 dB', () => {
    const source = addSine(noise(3, 0.3), 2_000, sineAbove(0.3, 15));
    const before = detectResonances(stereo(source.slice()));
    const [cut] = resonanceCuts(before.resonances);
    expect(cut).toEqual({ type: 'peaking', freq: expect.closeTo(2_000, -1.3) /* ±10 Hz */, gainDb: -6, q: 16 });
    const after = detectResonances(stereo(filtered(source, cut!)), { detect: false, probeHz: [before.resonances[0]!.frequencyHz] });
    expect(after.resonances).toEqual([]);
    const drop = before.resonances[0]!.excessDb - after.probes[0]!.excessDb;
    expect(drop).toBeGreaterThan(5);
    expect(drop).toBeLessThan(7);
  });

  it('works at 96 kHz with a doubled FFT size', () => {
    expect([44_100, 48_000, 96_000].map(fftSizeFor)).toEqual([8192, 8192, 16_384]);
    const x = addSine(noise(3, 0.3, 5, 96_000), 2_000, sineAbove(0.3, 15, 16_384), 96_000);
    const [found] = detectResonances(stereo(x, 96_000)).resonances;
    expect(Math.abs(found!.frequencyHz - 2_000)).toBeLessThan(20);
    expect(found!.excessDb).toBeGreaterThan(13);
  });

  it('spreads a bounded number of frames over a long track, and says why a track is not analysed', () => {
    const long = welchSpectrum(stereo(noise(20, 0.3)));
    const short = welchSpectrum(stereo(noise(3, 0.3)));
    expect(long.ok && long.spectrum.frames.length).toBe(64);
    expect(short.ok && short.spectrum.frames.length).toBe(Math.floor((3 * RATE - 8192) / 4096) + 1);
    expect(detectResonances(stereo(new Float32Array(3 * RATE)))).toEqual({ status: 'silent', resonances: [], probes: [] });
    expect(detectResonances(stereo(noise(0.5, 0.3))).status).toBe('too-short');
    const blip = new Float32Array(3 * RATE);
    blip.set(noise(0.2, 0.3), RATE);
    expect(detectResonances(stereo(blip)).status).toBe('too-little-signal');
  });
});
