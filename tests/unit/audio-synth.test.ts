import { InvalidError } from '../../src/common/errors';
import { renderSong, renderTrack, SYNTH_LIMITS, VOICE_PRESETS } from '../../src/dawg/audio/synth';
import type { InstrumentSpec, RenderOptionsInput, SynthTrackInput } from '../../src/dawg/audio/synth';
import type { AudioData } from '../../src/dawg/audio/types';

const SR = 48_000;
const OPTS: RenderOptionsInput = { bpm: 120, sampleRate: SR }; // one beat = 0.5 s

/**
 * Power spectrum (|X|², bins 0..n/2) of x[start, start+n), zero-padded past the end. Steady tones
 * take a Hann window; a drum hit that starts at `start` and dies within n takes none, since a
 * window would hide its attack.
 */
function powerSpectrum(x: Float32Array | Float64Array, start: number, n: number, hann = true): Float64Array {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n && start + i < x.length; i++) {
    re[i] = (x[start + i] as number) * (hann ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n) : 1);
  }
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  const cos = Float64Array.from({ length: n / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / n));
  const sin = Float64Array.from({ length: n / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / n));
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const stride = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const c = cos[k * stride] as number;
        const s = sin[k * stride] as number;
        const a = i + k;
        const b = a + half;
        const vr = (re[b] as number) * c - (im[b] as number) * s;
        const vi = (re[b] as number) * s + (im[b] as number) * c;
        re[b] = (re[a] as number) - vr;
        im[b] = (im[a] as number) - vi;
        re[a] = (re[a] as number) + vr;
        im[a] = (im[a] as number) + vi;
      }
    }
  }
  return Float64Array.from({ length: n / 2 }, (_, i) => (re[i] as number) ** 2 + (im[i] as number) ** 2);
}

/** Fraction of spectral energy between lo and hi Hz. */
function bandFraction(p: Float64Array, n: number, lo: number, hi: number): number {
  let total = 0;
  let band = 0;
  p.forEach((v, i) => {
    const hz = (i * SR) / n;
    total += v;
    if (hz >= lo && hz < hi) band += v;
  });
  return band / total;
}

function peakAbs(x: Float32Array, from = 0, to = x.length): number {
  let peak = 0;
  for (let i = from; i < to; i++) peak = Math.max(peak, Math.abs(x[i] as number));
  return peak;
}

const left = (audio: AudioData) => audio.channels[0] as Float32Array;
const note = (pitch: number, startBeats = 0, durationBeats = 1, velocity = 127) => ({ pitch, velocity, startBeats, durationBeats });
const plain = (extra: Record<string, unknown> = {}): InstrumentSpec => ({
  type: 'subtractive',
  waveform: 'sine',
  amp: { attackMs: 0, decayMs: 0, sustain: 1, releaseMs: 0 },
  velocitySensitivity: 0,
  gain: 1,
  ...extra,
} as InstrumentSpec);

function invalidField(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidError);
    return ((err as InvalidError).details as { issues: { field: string }[] }).issues[0]?.field ?? '';
  }
  throw new Error('expected an InvalidError');
}

describe('synth: a sine note', () => {
  const adsr = { attackMs: 50, decayMs: 100, sustain: 0.5, releaseMs: 200 };
  const audio = renderTrack({ instrument: plain({ amp: adsr }), notes: [note(69)] }, OPTS);
  const x = left(audio);
  const frame = (ms: number) => Math.round((ms * SR) / 1000);
  const amplitude = Math.SQRT1_2; // gain 1 through the -3 dB centre pan
  /**
   * The envelope at `ms`: the output divided by the sine it carries (which starts at phase 0),
   * taking the median over ±1 ms of the samples where that sine is far from zero.
   */
  const env = (ms: number) => {
    const ratios: number[] = [];
    for (let i = Math.max(0, frame(ms - 1)); i <= frame(ms + 1) && i < x.length; i++) {
      const carrier = amplitude * Math.sin((2 * Math.PI * 440 * i) / SR);
      if (Math.abs(carrier) > 0.5 * amplitude) ratios.push((x[i] as number) / carrier);
    }
    return ratios.sort((a, b) => a - b)[ratios.length >> 1] as number;
  };

  it('lasts the note plus the release, stereo and centred', () => {
    expect(audio.sampleRate).toBe(SR);
    expect(audio.channels).toHaveLength(2);
    expect(x.length).toBe(frame(500 + 200));
    expect(audio.channels[1]).toEqual(x);
    // The peak sits a fraction of a 440 Hz cycle off the envelope's, which has begun to decay.
    expect(peakAbs(x)).toBeGreaterThan(0.98 * amplitude);
    expect(peakAbs(x)).toBeLessThanOrEqual(amplitude);
  });

  it('sounds at 440 Hz', () => {
    // Linear-interpolated rising zero crossings across the sustain (200-450 ms).
    const crossings: number[] = [];
    for (let i = frame(200); i < frame(450); i++) {
      const a = x[i - 1] as number;
      const b = x[i] as number;
      if (a < 0 && b >= 0) crossings.push(i - 1 + a / (a - b));
    }
    const hz = ((crossings.length - 1) * SR) / ((crossings.at(-1) as number) - (crossings[0] as number));
    expect(hz).toBeCloseTo(440, 1);
  });

  it('peaks at the attack time, decays to the sustain level and releases to silence', () => {
    const attack = Array.from({ length: 150 }, (_, ms) => env(ms + 1));
    expect(attack.indexOf(Math.max(...attack)) + 1).toBe(adsr.attackMs);
    for (const ms of [10, 25, 40]) expect(env(ms)).toBeCloseTo(ms / adsr.attackMs, 2); // linear attack
    expect(env(50)).toBeGreaterThan(0.98); // the median over ±1 ms straddles the peak
    expect(env(100)).toBeGreaterThan(adsr.sustain);
    expect(env(100)).toBeLessThan(1);
    for (const ms of [160, 300, 490]) expect(env(ms)).toBeCloseTo(adsr.sustain, 3);
    const release = [520, 560, 600, 640, 680].map(env);
    release.forEach((v, i) => expect(v).toBeLessThan(i === 0 ? adsr.sustain : (release[i - 1] as number)));
    expect(peakAbs(x, frame(695))).toBeLessThan(0.005);
    expect(x.at(-1)).toBe(0);
  });
});

describe('synth: voices', () => {
  it('scales amplitude with velocity', () => {
    const render = (velocity: number) =>
      peakAbs(left(renderTrack({ instrument: plain({ velocitySensitivity: 1 }), notes: [note(69, 0, 1, velocity)] }, OPTS)));
    expect(render(64) / render(127)).toBeCloseTo(64 / 127, 3);
    const half = (velocity: number) =>
      peakAbs(left(renderTrack({ instrument: plain({ velocitySensitivity: 0.5 }), notes: [note(69, 0, 1, velocity)] }, OPTS)));
    expect(half(1) / half(127)).toBeCloseTo(0.5 + 0.5 / 127, 3);
  });

  it.each(['saw', 'square'] as const)('band-limits the %s: far less aliasing than the naive waveform at a high pitch', (waveform) => {
    const pitch = 100; // 2637 Hz: harmonics from the 10th fold back below Nyquist
    const f0 = 440 * 2 ** ((pitch - 69) / 12);
    const blep = left(renderTrack({ instrument: plain({ waveform }), notes: [note(pitch, 0, 2)] }, OPTS));
    const naive = new Float64Array(blep.length);
    for (let i = 0, t = 0; i < naive.length; i++, t = (t + f0 / SR) % 1) {
      naive[i] = Math.SQRT1_2 * (waveform === 'saw' ? 2 * t - 1 : t < 0.5 ? 1 : -1);
    }
    const n = 32_768;
    const aliasing = (x: Float32Array | Float64Array) => {
      const p = powerSpectrum(x, 4_800, n);
      const harmonic = new Uint8Array(p.length);
      for (let k = 1; k * f0 < SR / 2; k++) {
        const bin = Math.round((k * f0 * n) / SR);
        for (let d = -4; d <= 4; d++) harmonic[bin + d] = 1;
      }
      let wanted = 0;
      let alias = 0;
      p.forEach((v, i) => (i < 2 ? 0 : harmonic[i] ? (wanted += v) : (alias += v)));
      // Fold-backs of harmonics 15 and 17 (39.6 and 44.8 kHz) land in the audible band at 8.4 and 3.2 kHz.
      const foldDb = [15, 17].map((k) => {
        const bin = Math.round(((SR - k * f0) * n) / SR);
        return 10 * Math.log10(Math.max(...Array.from({ length: 5 }, (_, d) => p[bin - 2 + d] as number)));
      });
      return { ratioDb: 10 * Math.log10(alias / wanted), foldDb };
    };
    const a = aliasing(blep);
    const b = aliasing(naive);
    // PolyBLEP is weakest just below Nyquist (~10 dB there) and strongest low down, where aliases are most audible.
    expect(b.ratioDb - a.ratioDb).toBeGreaterThan(12);
    expect((b.foldDb[0] as number) - (a.foldDb[0] as number)).toBeGreaterThan(20);
    expect((b.foldDb[1] as number) - (a.foldDb[1] as number)).toBeGreaterThan(30);
  });

  it('sums overlapping notes: a chord is the sum of its notes rendered alone', () => {
    const notes = [note(60, 0, 2, 100), note(64, 0.5, 2, 90), note(67, 1, 1, 110)];
    const track = (ns: typeof notes): SynthTrackInput => ({ instrument: 'pad', notes: ns, seed: 7 });
    const opts = { ...OPTS, tailSeconds: 1.5 };
    const chord = renderTrack(track(notes), opts);
    // Each part alone runs to the chord's length: the chord's last note-off is at beat 2.5.
    const parts = notes.map((n) => renderTrack(track([n]), { ...opts, tailSeconds: 1.5 + (2.5 - n.startBeats - n.durationBeats) * 0.5 }));
    for (const c of [0, 1]) {
      const sum = new Float64Array(chord.channels[c]?.length ?? 0);
      for (const part of parts) (part.channels[c] as Float32Array).forEach((v, i) => (sum[i] = (sum[i] as number) + v));
      const got = chord.channels[c] as Float32Array;
      expect(got.length).toBe(sum.length);
      let maxDiff = 0;
      got.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - (sum[i] as number)))));
      expect(maxDiff).toBeLessThan(1e-6);
      expect(peakAbs(got)).toBeGreaterThan(0.1);
    }
  });

  it.each([...Object.keys(VOICE_PRESETS)])('preset %s renders finite, audible audio within a sane range', (preset) => {
    const notes = [note(48, 0, 1, 100), note(55, 0.5, 2, 80), note(60, 1, 1, 127), note(64, 1, 4, 60), note(67, 2, 0.25, 90)];
    const audio = renderTrack({ instrument: preset as InstrumentSpec, notes }, OPTS);
    for (const ch of audio.channels) {
      expect(ch.every(Number.isFinite)).toBe(true);
      expect(peakAbs(ch)).toBeGreaterThan(0.02);
      expect(peakAbs(ch)).toBeLessThan(1.5);
    }
  });

  it('stays finite and bounded at the parameter extremes', () => {
    const harsh: InstrumentSpec = {
      type: 'subtractive',
      preset: 'lead',
      osc2: { waveform: 'square', semitones: 36, detuneCents: 100, level: 1 },
      unison: { voices: SYNTH_LIMITS.maxUnisonVoices, detuneCents: 100, spread: 1 },
      noiseLevel: 1,
      amp: { attackMs: 0, decayMs: 0, sustain: 1, releaseMs: 0 },
      filter: { mode: 'lowpass', cutoffHz: 20_000, resonance: 1, envAmountOctaves: 8, keyTrack: 1, velocityOctaves: 8 },
      gain: 1,
    };
    for (const sampleRate of [SYNTH_LIMITS.minSampleRate, 192_000]) {
      const audio = renderTrack({ instrument: harsh, notes: [note(0), note(127), note(64, 0.5, 0.001, 1)] }, { bpm: 400, sampleRate });
      for (const ch of audio.channels) {
        expect(ch.every(Number.isFinite)).toBe(true);
        // At Q ≈ 24 the filter rings well above the input level; the check is that nothing runs away.
        expect(peakAbs(ch)).toBeLessThan(20);
      }
    }
  });

  it('runs the output to the last note-off plus tailSeconds, or until every note has rung out', () => {
    const track: SynthTrackInput = { instrument: 'keys', notes: [note(60, 1, 1), note(64, 0, 1)] };
    expect(left(renderTrack(track, { ...OPTS, tailSeconds: 0.25 })).length).toBe(1.25 * SR);
    expect(left(renderTrack(track, OPTS)).length).toBe(SR + (VOICE_PRESETS.keys.amp.releaseMs / 1000) * SR);
    expect(left(renderTrack({ instrument: 'bass', notes: [] }, OPTS)).length).toBe(0);
  });
});

describe('synth: drums', () => {
  const hit = (pitch: number) => left(renderTrack({ instrument: 'drums', notes: [note(pitch, 0, 0.25, 120)] }, OPTS));
  const n = 65_536; // 1.4 s: every hit tested has decayed below -50 dB by then
  const spectrum = (pitch: number) => powerSpectrum(hit(pitch), 0, n, false);

  it('keeps the kick below 150 Hz and the hats above 5 kHz', () => {
    expect(bandFraction(spectrum(36), n, 0, 150)).toBeGreaterThan(0.9);
    expect(bandFraction(spectrum(42), n, 5_000, SR)).toBeGreaterThan(0.9);
    expect(bandFraction(spectrum(46), n, 5_000, SR)).toBeGreaterThan(0.9);
  });

  it('decays the closed hat much faster than the open hat', () => {
    const closed = hit(42);
    const open = hit(46);
    const at = (x: Float32Array, t: number) => peakAbs(x, (t * SR) / 1000, ((t + 10) * SR) / 1000);
    expect(at(closed, 100) / at(closed, 0)).toBeLessThan(0.05);
    expect(at(open, 100) / at(open, 0)).toBeGreaterThan(0.3);
  });

  it('gives the snare a tone body and a noise top, the clap mid-band noise', () => {
    const snare = spectrum(38);
    expect(bandFraction(snare, n, 150, 400)).toBeGreaterThan(0.1);
    expect(bandFraction(snare, n, 1_500, SR)).toBeGreaterThan(0.4);
    expect(bandFraction(spectrum(39), n, 600, 3_000)).toBeGreaterThan(0.5);
  });

  it('tunes the toms low to high (45 < 47 < 50) and maps unknown keys to silence', () => {
    const pitchOf = (p: Float64Array) => p.reduce((best, v, i) => (v > (p[best] as number) ? i : best), 0) * (SR / n);
    const [low, mid, high] = [45, 47, 50].map((k) => pitchOf(spectrum(k)));
    expect(low).toBeLessThan(mid as number);
    expect(mid).toBeLessThan(high as number);
    expect(high).toBeLessThan(250);
    expect(peakAbs(hit(60))).toBe(0);
    for (const key of [36, 37, 38, 39, 40, 42, 44, 46, 49, 51]) {
      const x = hit(key);
      expect(x.every(Number.isFinite)).toBe(true);
      expect(peakAbs(x)).toBeGreaterThan(0.01);
      expect(peakAbs(x)).toBeLessThan(1);
    }
  });
});

describe('synth: songs and determinism', () => {
  const beat = (pitch: number, every: number, bars: number, velocity = 100) =>
    Array.from({ length: (bars * 4) / every }, (_, i) => note(pitch, i * every, every / 2, velocity));
  const tracks: SynthTrackInput[] = [
    { instrument: 'drums', notes: [...beat(36, 1, 2), ...beat(42, 0.5, 2, 80), note(38, 1), note(39, 3), note(46, 3.5)] },
    { instrument: 'bass', notes: beat(36, 0.5, 2) },
    { instrument: { type: 'subtractive', preset: 'pad', noiseLevel: 0.2 }, notes: [note(60, 0, 4), note(64, 0, 4), note(67, 0, 4)] },
    { instrument: 'lead', notes: beat(72, 1, 2) },
  ];

  it('renders the same input to bit-identical audio', () => {
    const a = renderSong(tracks, OPTS);
    const b = renderSong(structuredClone(tracks), OPTS);
    for (const c of [0, 1]) expect(Buffer.from((b.channels[c] as Float32Array).buffer).equals(Buffer.from((a.channels[c] as Float32Array).buffer))).toBe(true);
    const reseeded = renderSong(tracks.map((t) => ({ ...t, seed: 99 })), OPTS);
    expect(Buffer.from((reseeded.channels[0] as Float32Array).buffer).equals(Buffer.from((a.channels[0] as Float32Array).buffer))).toBe(false);
  });

  it('sums tracks into one stereo bus as long as the longest track', () => {
    const song = renderSong(tracks, OPTS);
    const parts = tracks.map((t) => renderTrack(t, OPTS));
    expect(left(song).length).toBe(Math.max(...parts.map((p) => left(p).length)));
    for (const c of [0, 1]) {
      let maxDiff = 0;
      (song.channels[c] as Float32Array).forEach((v, i) => {
        const sum = parts.reduce((s, p) => s + ((p.channels[c] as Float32Array)[i] ?? 0), 0);
        maxDiff = Math.max(maxDiff, Math.abs(v - sum));
      });
      expect(maxDiff).toBeLessThan(1e-5);
    }
    expect(song.channels.every((ch) => ch.every(Number.isFinite) && peakAbs(ch) < 2)).toBe(true);
  });
});

describe('synth: input validation', () => {
  const track = (notes: unknown[], instrument: unknown = 'bass') => ({ instrument, notes }) as SynthTrackInput;

  it.each([
    ['pitch above 127', track([{ ...note(60), pitch: 128 }]), OPTS, 'track.notes.0.pitch'],
    ['fractional pitch', track([note(60), { ...note(60), pitch: 60.5 }]), OPTS, 'track.notes.1.pitch'],
    ['velocity 0', track([{ ...note(60), velocity: 0 }]), OPTS, 'track.notes.0.velocity'],
    ['negative start', track([note(60, -1)]), OPTS, 'track.notes.0.startBeats'],
    ['zero duration', track([note(60, 0, 0)]), OPTS, 'track.notes.0.durationBeats'],
    ['infinite start', track([note(60, Infinity)]), OPTS, 'track.notes.0.startBeats'],
    ['unknown note field', track([{ ...note(60), channel: 10 }]), OPTS, 'track.notes.0.channel'],
    ['unknown preset', track([], 'banjo'), OPTS, 'track.instrument'],
    ['bad envelope', track([], { type: 'subtractive', amp: { attackMs: -5 } }), OPTS, 'track.instrument.amp.attackMs'],
    ['bad filter resonance', track([], { type: 'subtractive', filter: { resonance: 2 } }), OPTS, 'track.instrument.filter.resonance'],
    ['bpm too low', track([]), { bpm: 10, sampleRate: SR }, 'options.bpm'],
    ['bpm too high', track([]), { bpm: 1_000, sampleRate: SR }, 'options.bpm'],
    ['sample rate too low', track([]), { bpm: 120, sampleRate: 4_000 }, 'options.sampleRate'],
    ['sample rate too high', track([]), { bpm: 120, sampleRate: 384_000 }, 'options.sampleRate'],
    ['tail too long', track([]), { ...OPTS, tailSeconds: 3_600 }, 'options.tailSeconds'],
    ['song past 20 minutes', track([note(60, 0), note(60, 2_399, 2)]), OPTS, 'track.notes.1'],
  ])('rejects %s with an InvalidError naming the field', (_name, input, opts, field) => {
    expect(invalidField(() => renderTrack(input, opts as RenderOptionsInput))).toBe(field);
  });

  it('caps the number of notes and the total voice time', () => {
    const many = Array.from({ length: SYNTH_LIMITS.maxNotesPerTrack + 1 }, () => note(60));
    expect(invalidField(() => renderTrack(track(many), OPTS))).toBe('track.notes');
    const drones = Array.from({ length: 40 }, () => note(60, 0, 2_300));
    expect(invalidField(() => renderTrack(track(drones, 'pad'), OPTS))).toBe('track.notes');
  });

  it('names the track in a song', () => {
    const song = [track([note(60)]), track([{ ...note(60), velocity: 300 }], 'drums')];
    expect(invalidField(() => renderSong(song, OPTS))).toBe('tracks.1.notes.0.velocity');
    expect(invalidField(() => renderSong(Array.from({ length: SYNTH_LIMITS.maxTracks + 1 }, () => track([])), OPTS))).toBe('tracks');
  });
});
