import { InvalidError } from '../../src/common/errors';
import {
  integratedLoudness,
  kWeightingCoefficients,
  loudnessRange,
  measureLoudness,
  measureLoudnessBlocks,
  momentaryLoudness,
  samplePeak,
  shortTermLoudness,
  truePeak,
  truePeakOversamplingFactor,
  type BiquadCoefficients,
} from '../../src/dawg/audio/loudness';
import type { AudioData } from '../../src/dawg/audio/types';

/*
 * Every signal is synthesised here. Levels of sines are peak levels ("a −23 dBFS sine" has
 * amplitude 10^(−23/20)), as in EBU Tech 3341/3342, where such a tone on both stereo
 * channels reads −23 LUFS.
 */

// Module constants, not `Math.x` in the loops: under jest every global lookup is slow.
const { sin, cos, PI, SQRT1_2, SQRT2 } = Math;

/** [seconds, dBFS] segments of one continuous 1 kHz sine (phase carried across segments). */
type Segment = readonly [seconds: number, dbfs: number];

function toneChannel(sampleRate: number, segments: readonly Segment[], hz = 1000): Float32Array {
  const total = segments.reduce((frames, [seconds]) => frames + Math.round(seconds * sampleRate), 0);
  const out = new Float32Array(total);
  let i = 0;
  for (const [seconds, dbfs] of segments) {
    const amplitude = 10 ** (dbfs / 20);
    const end = i + Math.round(seconds * sampleRate);
    for (; i < end; i++) out[i] = amplitude * sin((2 * PI * hz * i) / sampleRate);
  }
  return out;
}

function stereoTone(segments: readonly Segment[], sampleRate = 48_000): AudioData {
  const channel = toneChannel(sampleRate, segments);
  return { sampleRate, channels: [channel, channel.slice()] };
}

/**
 * 10 ms raised-cosine fades at both ends, so that peak tests see the steady signal: an abrupt
 * start or end rings in the interpolator (as it would in a DAC) and is measured too.
 */
function faded(channel: Float32Array, sampleRate: number): Float32Array {
  const fade = Math.round(sampleRate / 100);
  for (let i = 0; i < fade; i++) {
    const gain = 0.5 - 0.5 * cos((PI * i) / fade);
    channel[i] = channel[i]! * gain;
    channel[channel.length - 1 - i] = channel[channel.length - 1 - i]! * gain;
  }
  return channel;
}

/** A faded mono sine of `cyclesPerSample`·fs with peak `amplitude`, starting at `degrees`. */
function sineAt(cyclesPerSample: number, amplitude: number, degrees: number, seconds = 1, sampleRate = 48_000): AudioData {
  const channel = new Float32Array(Math.round(seconds * sampleRate));
  const phase = (degrees * PI) / 180;
  for (let i = 0; i < channel.length; i++) channel[i] = amplitude * sin(2 * PI * cyclesPerSample * i + phase);
  return { sampleRate, channels: [faded(channel, sampleRate)] };
}

/** `pattern` repeated on two channels, faded. */
function periodic(pattern: readonly number[], seconds = 1, sampleRate = 48_000): AudioData {
  const channel = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < channel.length; i++) channel[i] = pattern[i % pattern.length]!;
  faded(channel, sampleRate);
  return { sampleRate, channels: [channel, channel.slice()] };
}

/** Peak of the ideal band-limited (trigonometric) interpolation of one period of `pattern`. */
function bandLimitedPeak(pattern: readonly number[]): number {
  const n = pattern.length;
  const re: number[] = [];
  const im: number[] = [];
  for (let k = 0; k <= n / 2; k++) {
    re.push(pattern.reduce((sum, x, t) => sum + x * cos((2 * PI * k * t) / n), 0) / n);
    im.push(pattern.reduce((sum, x, t) => sum - x * sin((2 * PI * k * t) / n), 0) / n);
  }
  let peak = 0;
  for (let step = 0; step < n * 4096; step++) {
    const t = step / 4096;
    let value = re[0]!;
    for (let k = 1; k < n / 2; k++) value += 2 * (re[k]! * cos((2 * PI * k * t) / n) - im[k]! * sin((2 * PI * k * t) / n));
    if (n % 2 === 0) value += re[n / 2]! * cos(PI * t);
    peak = Math.max(peak, Math.abs(value));
  }
  return peak;
}

/** BS.1770-4 Annex 2's example 4× interpolator (phases 0 and 1; 2 and 3 are their reverses). */
const ANNEX2_PHASE_0 = [
  0.001708984375, 0.010986328125, -0.0196533203125, 0.033203125, -0.0594482421875, 0.1373291015625, 0.97216796875,
  -0.102294921875, 0.047607421875, -0.026611328125, 0.014892578125, -0.00830078125,
];
const ANNEX2_PHASE_1 = [
  -0.0291748046875, 0.029296875, -0.0517578125, 0.089111328125, -0.16650390625, 0.465087890625, 0.77978515625,
  -0.2003173828125, 0.1015625, -0.0582275390625, 0.0330810546875, -0.0189208984375,
];
const ANNEX2_PHASES = [ANNEX2_PHASE_0, ANNEX2_PHASE_1, [...ANNEX2_PHASE_1].reverse(), [...ANNEX2_PHASE_0].reverse()];

/** True peak the plain way, with the Annex filter: a reference for what the standard's example reads. */
function annexTruePeak(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length + 11; i++) {
    for (const taps of ANNEX2_PHASES) {
      let y = 0;
      for (let k = 0; k < 12; k++) if (i - k >= 0 && i - k < samples.length) y += taps[k]! * samples[i - k]!;
      if (y > peak) peak = y;
      else if (-y > peak) peak = -y;
    }
  }
  return peak;
}

const db = (amplitude: number) => 20 * Math.log10(amplitude);
const integrated = (audio: AudioData) => measureLoudness(audio).integratedLufs!;

/** Tech 3341's true-peak tolerance: +0.2 / −0.4 dB. */
function expectTruePeakNear(measuredDbtp: number | null, expectedDbtp: number): void {
  expect(measuredDbtp).not.toBeNull();
  expect(measuredDbtp!).toBeLessThanOrEqual(expectedDbtp + 0.2);
  expect(measuredDbtp!).toBeGreaterThanOrEqual(expectedDbtp - 0.4);
}

function magnitudeDb(stages: readonly BiquadCoefficients[], hz: number, sampleRate: number): number {
  const w = (2 * PI * hz) / sampleRate;
  const response = (c0: number, c1: number, c2: number) =>
    Math.hypot(c0 + c1 * cos(w) + c2 * cos(2 * w), c1 * sin(w) + c2 * sin(2 * w));
  return stages.reduce((sum, s) => sum + db(response(s.b0, s.b1, s.b2) / response(1, s.a1, s.a2)), 0);
}

describe('K-weighting', () => {
  it('reproduces the BS.1770-4 48 kHz coefficients from the analog prototypes', () => {
    const { shelf, highPass } = kWeightingCoefficients(48_000);
    const published = {
      shelf: { b0: 1.53512485958697, b1: -2.69169618940638, b2: 1.19839281085285, a1: -1.69065929318241, a2: 0.73248077421585 },
      highPass: { b0: 1.0, b1: -2.0, b2: 1.0, a1: -1.99004745483398, a2: 0.99007225036621 },
    };
    for (const key of ['b0', 'b1', 'b2', 'a1', 'a2'] as const) {
      expect(Math.abs(shelf[key] - published.shelf[key])).toBeLessThan(1e-8);
      expect(Math.abs(highPass[key] - published.highPass[key])).toBeLessThan(1e-8);
    }
  });

  it('gives the same response at 32, 44.1, 96 and 192 kHz as at 48 kHz (+0.691 dB at 1 kHz)', () => {
    const at48 = kWeightingCoefficients(48_000);
    expect(Math.abs(magnitudeDb([at48.shelf, at48.highPass], 1000, 48_000) - 0.691)).toBeLessThan(0.01);
    for (const rate of [32_000, 44_100, 96_000, 192_000]) {
      const other = kWeightingCoefficients(rate);
      for (const hz of [20, 100, 1000, 2000, 5000, 10_000, 20_000].filter((f) => f < rate / 2)) {
        const difference = magnitudeDb([other.shelf, other.highPass], hz, rate) - magnitudeDb([at48.shelf, at48.highPass], hz, 48_000);
        expect(Math.abs(difference)).toBeLessThan(0.01);
      }
    }
  });
});

describe('integrated, momentary and short-term loudness (EBU Tech 3341)', () => {
  it('case 1: a −23 dBFS stereo 1 kHz tone reads −23.0 LUFS integrated, momentary and short-term', () => {
    const report = measureLoudness(stereoTone([[20, -23]]));
    expect(report.integratedLufs!).toBeCloseTo(-23, 1);
    expect(report.momentaryMaxLufs!).toBeCloseTo(-23, 1);
    expect(report.shortTermMaxLufs!).toBeCloseTo(-23, 1);
    expect(report.durationSeconds).toBe(20);
  });

  // 44 056 Hz (44.1 kHz / 1.001) is not a multiple of 10 Hz: its 100 ms sub-blocks alternate in length.
  it.each([44_100, 96_000, 44_056])('case 1 at %i Hz reads −23.0 LUFS too', (rate) => {
    const report = measureLoudness(stereoTone([[20, -23]], rate));
    expect(Math.abs(report.integratedLufs! + 23)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.momentaryMaxLufs! + 23)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.shortTermMaxLufs! + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 2: a −33 dBFS tone reads −33.0 LUFS', () => {
    expect(Math.abs(integrated(stereoTone([[20, -33]])) + 33)).toBeLessThanOrEqual(0.1);
  });

  it.each<[string, Segment[]]>([
    ['case 3 (relative gate)', [[10, -36], [60, -23], [10, -36]]],
    ['case 4 (absolute and relative gates)', [[10, -72], [10, -36], [60, -23], [10, -36], [10, -72]]],
    ['case 5 (loud middle)', [[20, -26], [20.1, -20], [20, -26]]],
  ])('%s reads −23.0 LUFS', (_name, segments) => {
    expect(Math.abs(integrated(stereoTone(segments)) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 6: 5.0 channels weight the surrounds by 1.41 (L, R −28; C −24; Ls, Rs −30 dBFS) → −23.0 LUFS', () => {
    const level = (dbfs: number) => toneChannel(48_000, [[20, dbfs]]);
    const audio = { sampleRate: 48_000, channels: [level(-28), level(-28), level(-24), level(-30), level(-30)] };
    expect(Math.abs(integrated(audio) + 23)).toBeLessThanOrEqual(0.1);
  });

  it('case 9: short-term loudness of 1.34 s at −20 / 1.66 s at −30 dBFS, repeated, is −23.0 in every 3 s window', () => {
    const segments: Segment[] = Array.from({ length: 5 }, () => [[1.34, -20], [1.66, -30]] as Segment[]).flat();
    const series = shortTermLoudness(measureLoudnessBlocks(stereoTone(segments)));
    expect(series.lufs.length).toBe(121); // (15 s − 3 s) / 0.1 s + 1
    for (const value of series.lufs) expect(Math.abs(value + 23)).toBeLessThanOrEqual(0.1);
  });

  it('momentary loudness of 0.18 s at −20 / 0.22 s at −30 dBFS, repeated, is −23.0 in every 400 ms window', () => {
    const segments: Segment[] = Array.from({ length: 50 }, () => [[0.18, -20], [0.22, -30]] as Segment[]).flat();
    const series = momentaryLoudness(measureLoudnessBlocks(stereoTone(segments)));
    expect(series.windowSeconds).toBeCloseTo(0.4);
    expect(series.hopSeconds).toBeCloseTo(0.1);
    expect(series.lufs.length).toBe(197); // (20 s − 0.4 s) / 0.1 s + 1
    for (const value of series.lufs) expect(Math.abs(value + 23)).toBeLessThanOrEqual(0.1);
  });

  it('measures mono as one channel of weight 1 (BS.1770): a −23 dBFS tone reads −26.0 LUFS', () => {
    const audio = { sampleRate: 48_000, channels: [toneChannel(48_000, [[10, -23]])] };
    expect(integrated(audio)).toBeCloseTo(-23 - db(2) / 2, 1);
  });

  it('takes explicit channel weights, and requires them past six channels', () => {
    const tone = toneChannel(48_000, [[5, -23]]);
    const blocks = measureLoudnessBlocks({ sampleRate: 48_000, channels: [tone, tone] }, { channelWeights: [1, 0] });
    expect(integratedLoudness(blocks)!).toBeCloseTo(-26.0, 1);
    const seven = { sampleRate: 48_000, channels: Array.from({ length: 7 }, () => tone) };
    expect(() => measureLoudness(seven)).toThrow(/channelWeights.*7 channels/);
    expect(measureLoudness(seven, { channelWeights: [1, 1, 0, 0, 0, 0, 0] }).integratedLufs!).toBeCloseTo(-23, 1);
  });
});

describe('loudness range (EBU Tech 3342)', () => {
  it.each<[string, number, Segment[]]>([
    ['case 1: 20 s at −20, 20 s at −30 dBFS', 10, [[20, -20], [20, -30]]],
    ['case 2: 20 s at −20, 20 s at −15 dBFS', 5, [[20, -20], [20, -15]]],
    ['case 3: 20 s at −40, 20 s at −20 dBFS', 20, [[20, -40], [20, -20]]],
    ['case 4: 20 s each at −50, −35, −20, −35, −50 dBFS', 15, [[20, -50], [20, -35], [20, -20], [20, -35], [20, -50]]],
  ])('%s → %i LU', (_name, expected, segments) => {
    const lra = measureLoudness(stereoTone(segments)).loudnessRangeLu!;
    expect(Math.abs(lra - expected)).toBeLessThanOrEqual(1);
  });

  it('is 0 LU for a steady tone', () => {
    expect(loudnessRange(measureLoudnessBlocks(stereoTone([[10, -23]])))!).toBeCloseTo(0, 2);
  });
});

describe('sample and true peak', () => {
  it('oversamples 4× at 48 kHz and to at least 192 kHz at other rates', () => {
    expect(truePeakOversamplingFactor(48_000)).toBe(4);
    expect(truePeakOversamplingFactor(96_000)).toBe(4);
    expect(truePeakOversamplingFactor(44_100)).toBe(5);
    expect(truePeakOversamplingFactor(8_000)).toBe(24);
  });

  it('finds the inter-sample peak of a full-scale fs/4 sine at 45°: 0 dBTP over a −3 dBFS sample peak', () => {
    const report = measureLoudness(sineAt(1 / 4, 1, 45));
    expect(report.samplePeakDbfs!).toBeCloseTo(db(SQRT1_2), 4);
    expectTruePeakNear(report.truePeakDbtp, 0);
  });

  it.each<[string, number, number, number, number]>([
    ['case 15: fs/4, 0.5 FS, 0°', 1 / 4, 0.5, 0, -6.02],
    ['case 16: fs/4, 0.5 FS, 45°', 1 / 4, 0.5, 45, -6.02],
    ['case 17: fs/6, 0.5 FS, 60°', 1 / 6, 0.5, 60, -6.02],
    ['case 18: fs/8, 0.5 FS, 67.5°', 1 / 8, 0.5, 67.5, -6.02],
    ['case 19: fs/4, 1.41 FS, 45°', 1 / 4, 1.41, 45, db(1.41)],
  ])('Tech 3341 %s', (_name, cycles, amplitude, degrees, expected) => {
    expectTruePeakNear(measureLoudness(sineAt(cycles, amplitude, degrees)).truePeakDbtp, expected);
  });

  it.each([44_100, 96_000, 32_000, 8_000])('finds the fs/4 inter-sample peak at %i Hz', (rate) => {
    const audio = sineAt(1 / 4, 1, 45, 1, rate);
    expectTruePeakNear(db(truePeak(audio)), 0);
    expect(db(samplePeak(audio))).toBeCloseTo(db(SQRT1_2), 4);
  });

  it('measures full-scale DC-free square waves against their exact band-limited peak', () => {
    const fourSample = [1, 1, -1, -1]; // √2·sin(πn/2 + π/4): +3.01 dBTP exactly
    expect(bandLimitedPeak(fourSample)).toBeCloseTo(SQRT2, 6);
    const patterns = [fourSample, [1, 1, 1, 1, -1, -1, -1, -1], [1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1], [1, 1, 1, -1, -1, 1, -1, -1]];
    for (const pattern of patterns) {
      const report = measureLoudness(periodic(pattern));
      expect(report.samplePeakDbfs).toBe(0);
      expectTruePeakNear(report.truePeakDbtp, db(bandLimitedPeak(pattern)));
    }
  });

  it('reads steady tones at least as accurately as the Annex 2 example filter, and never 0.01 dB high', () => {
    let ourWorst = 0;
    let annexWorst = 0;
    for (const cycles of [0.05, 0.1, 1 / 6, 0.2, 0.25, 0.3, 0.35]) {
      for (let degrees = 0; degrees < 360; degrees += 22.5) {
        const audio = sineAt(cycles, 0.5, degrees, 0.1);
        const ours = db(truePeak(audio) / 0.5);
        expect(ours).toBeLessThan(0.01);
        ourWorst = Math.max(ourWorst, Math.abs(ours));
        annexWorst = Math.max(annexWorst, Math.abs(db(annexTruePeak(audio.channels[0]!) / 0.5)));
      }
    }
    expect(ourWorst).toBeLessThanOrEqual(annexWorst);
  });

  it('is never below the sample peak, and equals it for a slow tone', () => {
    const audio = sineAt(1 / 480, 0.8, 0); // 100 Hz: the peaks fall on samples
    expect(truePeak(audio)).toBeGreaterThanOrEqual(samplePeak(audio));
    expect(db(truePeak(audio))).toBeCloseTo(db(0.8), 3);
  });
});

describe('silence and short audio', () => {
  it('reports nulls, not −Infinity, for digital silence, so the report stays valid JSON', () => {
    const silent = { sampleRate: 48_000, channels: [new Float32Array(48_000 * 5), new Float32Array(48_000 * 5)] };
    const report = measureLoudness(silent);
    expect(report).toEqual({
      integratedLufs: null,
      loudnessRangeLu: null,
      shortTermMaxLufs: null,
      momentaryMaxLufs: null,
      samplePeakDbfs: null,
      truePeakDbtp: null,
      durationSeconds: 5,
    });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(momentaryLoudness(measureLoudnessBlocks(silent)).lufs.every((v) => v === -Infinity)).toBe(true);
  });

  it('gates out a tone below −70 LUFS but still reports its level and peaks', () => {
    const report = measureLoudness(stereoTone([[5, -75]]));
    expect(report.integratedLufs).toBeNull();
    expect(report.loudnessRangeLu).toBeNull();
    expect(report.momentaryMaxLufs!).toBeCloseTo(-75, 1);
    expect(report.samplePeakDbfs!).toBeCloseTo(-75, 2);
  });

  it('has no gated loudness under 400 ms and no short-term loudness under 3 s', () => {
    const short = measureLoudness(stereoTone([[0.3, -23]]));
    expect(short.integratedLufs).toBeNull();
    expect(short.momentaryMaxLufs).toBeNull();
    expect(short.samplePeakDbfs!).toBeCloseTo(-23, 2);
    const medium = measureLoudness(stereoTone([[2, -23]]));
    expect(medium.integratedLufs!).toBeCloseTo(-23, 1);
    expect(medium.shortTermMaxLufs).toBeNull();
    expect(medium.loudnessRangeLu).toBeNull();
  });

  it('measures a handful of samples without failing', () => {
    const report = measureLoudness({ sampleRate: 48_000, channels: [Float32Array.of(0, 0.5, -0.25)] });
    expect(report.samplePeakDbfs!).toBeCloseTo(db(0.5), 6);
    expect(report.truePeakDbtp!).toBeGreaterThanOrEqual(report.samplePeakDbfs!);
  });
});

describe('input validation', () => {
  const ok = () => new Float32Array(4800);
  const cases: [string, AudioData, RegExp][] = [
    ['no channels', { sampleRate: 48_000, channels: [] }, /audio\.channels: must hold at least one channel/],
    ['no frames', { sampleRate: 48_000, channels: [new Float32Array(0)] }, /audio\.channels: .*0 frames/],
    ['channels of different lengths', { sampleRate: 48_000, channels: [ok(), new Float32Array(10)] }, /audio\.channels\.1: has 10 samples but channel 0 has 4800/],
    ['a NaN sample', { sampleRate: 48_000, channels: [ok(), Float32Array.from(ok(), (_, i) => (i === 17 ? NaN : 0))] }, /audio\.channels\.1: sample 17 is NaN/],
    ['an infinite sample', { sampleRate: 48_000, channels: [Float32Array.from(ok(), (_, i) => (i === 3 ? -Infinity : 0))] }, /audio\.channels\.0: sample 3 is -Infinity/],
    ['a sample rate below 8 kHz', { sampleRate: 4_000, channels: [ok()] }, /audio\.sampleRate: .*8000 to 384000.*got 4000/],
    ['a sample rate above 384 kHz', { sampleRate: 768_000, channels: [ok()] }, /audio\.sampleRate: .*got 768000/],
    ['a fractional sample rate', { sampleRate: 44_100.5, channels: [ok()] }, /audio\.sampleRate/],
    ['a NaN sample rate', { sampleRate: NaN, channels: [ok()] }, /audio\.sampleRate/],
  ];

  it.each(cases)('rejects %s with an InvalidError naming the problem', (_name, audio, message) => {
    for (const measure of [measureLoudness, measureLoudnessBlocks, truePeak, samplePeak] as ((a: AudioData) => unknown)[]) {
      let error: unknown;
      try {
        measure(audio);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidError);
      expect((error as InvalidError).status).toBe(400);
      expect((error as InvalidError).message).toMatch(message);
    }
  });

  it('rejects channel weights that do not fit the audio', () => {
    const audio = { sampleRate: 48_000, channels: [ok(), ok()] };
    expect(() => measureLoudness(audio, { channelWeights: [1] })).toThrow(InvalidError);
    expect(() => measureLoudness(audio, { channelWeights: [1, -1] })).toThrow(/channelWeights\.1/);
    expect(() => measureLoudness(audio, { channelWeights: [1, NaN] })).toThrow(/channelWeights\.1/);
  });
});
