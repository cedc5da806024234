import { InvalidError } from '../../src/common/errors';
import type { AudioData } from '../../src/dawg/audio/types';
import {
  applyCompressor,
  applyDelay,
  applyEq,
  applyGainPan,
  applyLimiter,
  applyReverb,
  applyStereoWidth,
  type BiquadBandInput,
  biquadCoefficients,
  BiquadFilter,
  Compressor,
  Delay,
  Equalizer,
  LIMITER_SAFETY_MARGIN_DB,
  magnitudeDb,
  makeupGainDb,
  panGains,
  PolyphaseInterpolator,
  Reverb,
  staticCurveDb,
  stereoStats,
  sumBus,
  truePeakDbtp,
  TruePeakLimiter,
} from '../../src/dawg/audio/dsp';
import { mulberry32 } from '../helpers/random';

// ---------- helpers ----------

const FS = 48_000;
const { abs, cos, log10, max, PI, sin, sqrt } = Math;

const rng = mulberry32;

const db = (x: number) => 20 * log10(x);

function signal(frames: number, f: (n: number) => number): Float32Array {
  const out = new Float32Array(frames);
  for (let n = 0; n < frames; n++) out[n] = f(n);
  return out;
}

function stereo(frames: number, f: (n: number, c: number) => number, sampleRate = FS): AudioData {
  return { sampleRate, channels: [0, 1].map((c) => signal(frames, (n) => f(n, c))) };
}

function copy(audio: AudioData): AudioData {
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice()) };
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return sqrt(sum / (to - from));
}

/** |DFT| of `x` at `freq`, in dB: the filter's measured response when `x` is its impulse response. */
function dftDb(x: Float32Array, freq: number, sampleRate = FS): number {
  const w = (2 * PI * freq) / sampleRate;
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    re += x[n]! * cos(w * n);
    im -= x[n]! * sin(w * n);
  }
  return 10 * log10(re * re + im * im);
}

/** Expects an InvalidError whose message and issues name `field`. */
function expectInvalid(fn: () => unknown, field: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidError);
  const invalid = error as InvalidError;
  expect(invalid.message).toContain(field);
  const issues = (invalid.details as { issues: { field: string }[] }).issues;
  expect(issues.map((i) => i.field)).toContain(field);
}

// ---------- biquad / EQ ----------

describe('biquad EQ', () => {
  const impulse = (band: BiquadBandInput) => {
    const x = new Float32Array(1 << 15);
    x[0] = 1;
    applyEq({ sampleRate: FS, channels: [x] }, { bands: [band] });
    return x;
  };
  const cases: [string, BiquadBandInput, number[]][] = [
    ['peaking', { type: 'peaking', freq: 1000, gainDb: 6, q: 1 }, [50, 300, 1000, 3000, 15000]],
    ['low-shelf', { type: 'low-shelf', freq: 500, gainDb: 6 }, [20, 250, 500, 2000, 10000]],
    ['high-shelf', { type: 'high-shelf', freq: 2000, gainDb: -6, q: 0.707 }, [100, 1000, 2000, 8000, 20000]],
    ['high-pass', { type: 'high-pass', freq: 100 }, [20, 50, 100, 400, 5000]],
    ['low-pass', { type: 'low-pass', freq: 5000 }, [100, 2000, 5000, 10000, 20000]],
  ];

  it.each(cases)('%s: the processed impulse response matches magnitudeDb', (_, band, freqs) => {
    const h = impulse(band);
    const coeffs = biquadCoefficients(band, FS);
    for (const f of freqs) expect(dftDb(h, f)).toBeCloseTo(magnitudeDb(coeffs, f, FS), 2);
  });

  it('lands on the analytic figures: +6 dB peak at f0, −3 dB at the pass cutoffs, the shelf gain far from the corner', () => {
    expect(dftDb(impulse({ type: 'peaking', freq: 1000, gainDb: 6, q: 1 }), 1000)).toBeCloseTo(6, 1);
    expect(dftDb(impulse({ type: 'peaking', freq: 1000, gainDb: 6, q: 1 }), 20)).toBeCloseTo(0, 1);
    expect(dftDb(impulse({ type: 'high-pass', freq: 100, q: Math.SQRT1_2 }), 100)).toBeCloseTo(-3.01, 1);
    expect(dftDb(impulse({ type: 'low-pass', freq: 5000, q: Math.SQRT1_2 }), 5000)).toBeCloseTo(-3.01, 1);
    const lowShelf = impulse({ type: 'low-shelf', freq: 500, gainDb: 6 });
    expect(dftDb(lowShelf, 20)).toBeCloseTo(6, 1);
    expect(dftDb(lowShelf, 500)).toBeCloseTo(3, 1);
    expect(dftDb(lowShelf, 15000)).toBeCloseTo(0, 1);
    const highShelf = impulse({ type: 'high-shelf', freq: 2000, gainDb: -6, q: 0.707 });
    expect(dftDb(highShelf, 20)).toBeCloseTo(0, 1);
    expect(dftDb(highShelf, 20000)).toBeCloseTo(-6, 1);
  });

  it('scales a steady sine at f0 by the peaking gain', () => {
    const audio = stereo(FS / 2, (n) => 0.25 * sin((2 * PI * 1000 * n) / FS));
    applyEq(audio, { bands: [{ type: 'peaking', freq: 1000, gainDb: 6, q: 2 }] });
    // After the filter has settled (an exact number of periods: 48 samples each).
    const settled = rms(audio.channels[0]!, FS / 4, FS / 2);
    expect(db(settled / (0.25 / Math.SQRT2))).toBeCloseTo(6, 1);
  });

  it('chains bands in order: the response of the chain is the sum of the bands', () => {
    const x = new Float32Array(1 << 15);
    x[0] = 1;
    const params = {
      bands: [
        { type: 'high-pass', freq: 40 },
        { type: 'peaking', freq: 3000, gainDb: -4, q: 3 },
        { type: 'high-shelf', freq: 8000, gainDb: 3, slope: 0.5 },
      ] satisfies BiquadBandInput[],
    };
    const eq = new Equalizer(params, FS, 1);
    eq.process([x]);
    for (const f of [30, 100, 3000, 12000]) expect(dftDb(x, f)).toBeCloseTo(eq.magnitudeDb(f), 2);
  });

  it('keeps its state between blocks: two halves sound like one buffer', () => {
    const input = signal(4096, (n) => sin(n * 0.3) + 0.2 * sin(n * 2.1));
    const whole = input.slice();
    new BiquadFilter(biquadCoefficients({ type: 'low-pass', freq: 3000, q: 4 }, FS), 1).process(whole, 0);
    const split = input.slice();
    const filter = new BiquadFilter(biquadCoefficients({ type: 'low-pass', freq: 3000, q: 4 }, FS), 1);
    filter.process(split.subarray(0, 1000), 0);
    filter.process(split.subarray(1000), 0);
    expect(split).toEqual(whole);
  });

  it('rejects bad bands, naming the field', () => {
    const audio = stereo(16, () => 0, 44_100);
    expectInvalid(() => applyEq(audio, { bands: [{ type: 'peaking', freq: 22_050, gainDb: 3 }] }), 'eq.bands.0.freq');
    expectInvalid(() => applyEq(audio, { bands: [{ type: 'low-pass', freq: 5 }] }), 'eq.bands.0.freq');
    expectInvalid(() => applyEq(audio, { bands: [{ type: 'low-pass', freq: 500, q: 0 }] }), 'eq.bands.0.q');
    expectInvalid(
      () => applyEq(audio, { bands: [{ type: 'peaking', freq: 500, gainDb: 3 }, { type: 'peaking', freq: 500, gainDb: 30 }] }),
      'eq.bands.1.gainDb',
    );
    expectInvalid(() => applyEq(audio, { bands: [{ type: 'low-shelf', freq: 500, gainDb: 3, q: 1, slope: 1 }] }), 'eq.bands.0.slope');
    expectInvalid(() => applyEq(audio, { bands: [{ type: 'notch', freq: 500 } as never] }), 'eq.bands.0.type');
  });
});

// ---------- compressor ----------

describe('compressor', () => {
  const params = { thresholdDb: -20, ratio: 4, kneeDb: 0 };

  it('has a static curve that is unity below the threshold and slope 1/ratio above it', () => {
    for (const x of [-80, -40, -20.01]) expect(staticCurveDb(x, params)).toBeCloseTo(x, 10);
    for (const x of [-20, -10, 0, 6]) expect(staticCurveDb(x, params)).toBeCloseTo(-20 + (x + 20) / 4, 10);
    const slope = (staticCurveDb(-2, params) - staticCurveDb(-12, params)) / 10;
    expect(slope).toBeCloseTo(1 / 4, 10);
  });

  it('has a soft knee that meets both lines smoothly and dips by (1 − 1/R)·W/8 at the threshold', () => {
    const soft = { thresholdDb: -20, ratio: 4, kneeDb: 10 };
    expect(staticCurveDb(-25, soft)).toBeCloseTo(-25, 10);
    expect(staticCurveDb(-15, soft)).toBeCloseTo(-20 + 5 / 4, 10);
    expect(staticCurveDb(-20, soft)).toBeCloseTo(-20 - (0.75 * 10) / 8, 10);
    // Continuous, with a slope falling steadily from 1 to 1/R through the knee.
    let previousSlope = Infinity;
    for (let x = -30; x <= -10; x += 0.01) {
      const step = staticCurveDb(x + 0.01, soft) - staticCurveDb(x, soft);
      expect(abs(step)).toBeLessThan(0.0101);
      const slope = step / 0.01;
      expect(slope).toBeLessThanOrEqual(previousSlope + 1e-6);
      expect(slope).toBeGreaterThanOrEqual(0.25 - 1e-6);
      expect(slope).toBeLessThanOrEqual(1 + 1e-6);
      previousSlope = slope;
    }
  });

  it('resolves auto make-up to the reduction a full-scale input gets', () => {
    expect(makeupGainDb({ ...params, makeupDb: 'auto' })).toBeCloseTo(15, 10);
    expect(makeupGainDb({ ...params, makeupDb: 3 })).toBe(3);
  });

  it('brings a steady sine (RMS detector) to the static curve once the attack has passed', () => {
    const amplitude = 0.5;
    const audio = stereo(FS / 2, (n) => amplitude * sin((2 * PI * 997 * n) / FS));
    const levelDb = db(amplitude / Math.SQRT2);
    applyCompressor(audio, { ...params, attackMs: 5, releaseMs: 100, detector: 'rms' });
    const expectedReduction = levelDb - staticCurveDb(levelDb, params);
    expect(expectedReduction).toBeCloseTo(8.23, 2);
    const out = rms(audio.channels[0]!, FS / 4, FS / 2);
    expect(abs(levelDb - db(out) - expectedReduction)).toBeLessThan(0.1);
  });

  it('follows the attack time constant: 1 − 1/e of the reduction after attackMs (peak detector, constant level)', () => {
    const attackMs = 10;
    const frames = FS / 4;
    const square = stereo(frames, (n) => (Math.floor(n / 24) % 2 ? -0.5 : 0.5));
    const compressor = new Compressor({ ...params, attackMs, releaseMs: 200 }, FS, 2);
    compressor.process(square.channels);
    const reductionAt = (n: number) => db(0.5) - db(abs(square.channels[0]![n]!));
    const target = db(0.5) - staticCurveDb(db(0.5), params);
    expect(reductionAt((attackMs * FS) / 1000) / target).toBeCloseTo(1 - Math.exp(-1), 2);
    expect(reductionAt(frames - 1)).toBeCloseTo(target, 2);
    expect(compressor.maxGainReductionDb).toBeCloseTo(target, 2);
  });

  it('links stereo detection: the louder channel sets one gain for both', () => {
    const audio = stereo(FS / 4, (n, c) => (c === 0 ? 0.9 : 0.05) * sin((2 * PI * 440 * n) / FS));
    const before = copy(audio);
    applyCompressor(audio, { thresholdDb: -30, ratio: 10, attackMs: 1, releaseMs: 50 });
    for (const n of [1000, 5000, 11_000]) {
      const gainL = audio.channels[0]![n]! / before.channels[0]![n]!;
      const gainR = audio.channels[1]![n]! / before.channels[1]![n]!;
      expect(gainL).toBeLessThan(0.5);
      expect(gainR).toBeCloseTo(gainL, 5);
    }
  });

  it('rejects bad parameters, naming the field', () => {
    const audio = stereo(16, () => 0);
    expectInvalid(() => applyCompressor(audio, { thresholdDb: -20, ratio: 0.5 }), 'compressor.ratio');
    expectInvalid(() => applyCompressor(audio, { thresholdDb: -20, ratio: 4, attackMs: 0 }), 'compressor.attackMs');
    expectInvalid(() => applyCompressor(audio, { thresholdDb: -20, ratio: 4, releaseMs: 6000 }), 'compressor.releaseMs');
    expectInvalid(() => applyCompressor(audio, { thresholdDb: -20, ratio: 4, kneeDb: 30 }), 'compressor.kneeDb');
    expectInvalid(() => applyCompressor(audio, { thresholdDb: 3, ratio: 4 }), 'compressor.thresholdDb');
    expectInvalid(() => staticCurveDb(0, { thresholdDb: -20, ratio: 4, threshold: -3 } as never), 'compressor.threshold');
  });
});

// ---------- oversampler / limiter ----------

describe('true-peak oversampler', () => {
  it('finds the inter-sample peak of a sine at fs/4 with phase π/4 (+3.01 dBTP from ±1 samples)', () => {
    // Faded in and out over 10 ms: an abrupt start would add the interpolator's own ringing.
    const fade = (n: number) => Math.min(1, n / 480, (4799 - n) / 480) ** 2;
    const audio = stereo(4800, (n) => fade(n) * Math.SQRT2 * sin((PI * n) / 2 + PI / 4));
    expect(max(...audio.channels[0]!.map(abs))).toBeCloseTo(1, 6);
    expect(truePeakDbtp(audio)).toBeCloseTo(3.01, 1);
    expect(truePeakDbtp(audio, { factor: 8, tapsPerPhase: 32 })).toBeCloseTo(3.01, 1);
  });

  it('passes the input samples through on branch 0', () => {
    const x = signal(64, (n) => sin(n * 0.7));
    const ip = new PolyphaseInterpolator({ factor: 4 });
    const up = ip.upsample(x);
    for (let n = 0; n < 64; n++) expect(up[(n + ip.halfSpan) * 4]).toBeCloseTo(x[n]!, 12);
  });

  it('rejects a bad factor, naming the field', () => {
    expectInvalid(() => new PolyphaseInterpolator({ factor: 1 }), 'interpolator.factor');
    expectInvalid(() => new PolyphaseInterpolator({ tapsPerPhase: 13 }), 'interpolator.tapsPerPhase');
  });
});

describe('true-peak limiter', () => {
  const CEILING = -1;
  const frames = FS / 2;
  const random = rng(5);
  const gaussian = () => sqrt(-2 * Math.log(random() || 1e-12)) * cos(2 * PI * random());
  const noiseU = [0, 1].map(() => signal(frames, () => (random() * 2 - 1) * 4));
  const noiseG = [0, 1].map(() => signal(frames, () => gaussian() * 4));
  const adversarial: [string, (n: number, c: number) => number][] = [
    ['full-scale square, 1 kHz', (n) => (sin((2 * PI * 1000 * n) / FS) >= 0 ? 1 : -1)],
    ['full-scale square, fs/4', (n) => ((n >> 1) & 1 ? -1 : 1)],
    ['full-scale square, 5.5 kHz', (n) => (sin((2 * PI * 5512.5 * n) / FS + 0.1) >= 0 ? 1 : -1)],
    ['full-scale square at Nyquist', (n) => (n & 1 ? -1 : 1)],
    ['single-sample spikes at full scale', (n, c) => (n % 4801 === 100 + c ? 1 : 0)],
    ['single-sample spikes at +12 dB, alternating sign', (n) => (n % 3001 === 7 ? 4 : n % 3001 === 8 ? -4 : 0)],
    ['sine at fs/4, phase π/4, ±1 samples', (n) => Math.SQRT2 * sin((PI * n) / 2 + PI / 4)],
    ['sine at fs/4, phase π/4, +12 dB', (n) => 4 * Math.SQRT2 * sin((PI * n) / 2 + PI / 4)],
    ['white noise, uniform, +12 dB peak', (n, c) => noiseU[c]![n]!],
    ['white noise, Gaussian, +12 dB RMS', (n, c) => noiseG[c]![n]!],
    ['white noise bursts', (n, c) => noiseU[c]![n]! * (Math.floor(n / 997) % 3 === 0 ? 1 : 0.05)],
  ];
  const meters = {
    '4x': new PolyphaseInterpolator({ factor: 4, tapsPerPhase: 12 }),
    '8x, 32 taps': new PolyphaseInterpolator({ factor: 8, tapsPerPhase: 32 }),
    '16x': new PolyphaseInterpolator({ factor: 16, tapsPerPhase: 12 }),
  };
  const truePeakDb = (audio: AudioData, meter: PolyphaseInterpolator) =>
    db(max(...audio.channels.map((c) => meter.peak(c))));

  it.each(adversarial)('keeps the true peak of %s at or below the ceiling', (_, f) => {
    for (const settings of [
      { lookaheadMs: 1.5, releaseMs: 100 },
      { lookaheadMs: 0.5, releaseMs: 1 },
    ]) {
      const input = stereo(frames, f);
      const streamed = copy(input);
      const limiter = new TruePeakLimiter({ ceilingDbtp: CEILING, ...settings }, FS, 2);
      limiter.process(streamed.channels);
      // Run on into silence so the delayed output is complete, its end included.
      const tail = [new Float32Array(limiter.latencySamples), new Float32Array(limiter.latencySamples)];
      limiter.process(tail);
      const whole = stereo(frames + tail[0]!.length, (n, c) => (n < frames ? streamed.channels[c]![n]! : tail[c]![n - frames]!));
      const aligned = copy(input);
      applyLimiter(aligned, { ceilingDbtp: CEILING, ...settings }, { compensateLatency: true });
      for (const output of [whole, aligned]) {
        for (const meter of Object.values(meters)) expect(truePeakDb(output, meter)).toBeLessThanOrEqual(CEILING);
      }
      expect(limiter.maxGainReductionDb).toBeGreaterThan(0);
    }
  });

  it('holds other ceilings and sample rates on +12 dB noise', () => {
    for (const [sampleRate, ceilingDbtp] of [
      [44_100, -0.1],
      [96_000, -3],
      [44_100, -8],
    ] as const) {
      const audio = stereo(sampleRate / 4, (n, c) => noiseG[c]![n]!, sampleRate);
      applyLimiter(audio, { ceilingDbtp, lookaheadMs: 2, releaseMs: 20 }, { compensateLatency: true });
      for (const meter of Object.values(meters)) expect(truePeakDb(audio, meter)).toBeLessThanOrEqual(ceilingDbtp);
    }
  });

  it('does not over-limit: a loud signal ends up within the safety margin of the ceiling', () => {
    const audio = stereo(frames, (n, c) => noiseU[c]![n]!);
    applyLimiter(audio, { ceilingDbtp: CEILING }, { compensateLatency: true });
    const loudest = max(...Object.values(meters).map((meter) => truePeakDb(audio, meter)));
    expect(loudest).toBeGreaterThan(CEILING - LIMITER_SAFETY_MARGIN_DB - 0.05);
  });

  it('leaves a signal below the ceiling unchanged apart from the latency', () => {
    const input = stereo(frames, (n, c) => 0.5 * sin((2 * PI * (440 + 110 * c) * n) / FS));
    const output = copy(input);
    const result = applyLimiter(output, { ceilingDbtp: CEILING, lookaheadMs: 1.5 });
    expect(result.latencySamples).toBe(72 + 32);
    expect(result.maxGainReductionDb).toBe(0);
    for (let c = 0; c < 2; c++) {
      expect(output.channels[c]!.subarray(0, result.latencySamples).every((x) => x === 0)).toBe(true);
      expect(output.channels[c]!.subarray(result.latencySamples)).toEqual(
        input.channels[c]!.subarray(0, frames - result.latencySamples),
      );
    }
    const aligned = copy(input);
    expect(applyLimiter(aligned, { ceilingDbtp: CEILING }, { compensateLatency: true }).latencySamples).toBe(0);
    expect(aligned).toEqual(input);
  });

  it('sounds the same fed in blocks as in one go', () => {
    const input = stereo(9000, (n, c) => noiseG[c]![n]!);
    const once = copy(input);
    new TruePeakLimiter({}, FS, 2).process(once.channels);
    const blocks = copy(input);
    const limiter = new TruePeakLimiter({}, FS, 2);
    for (let start = 0; start < 9000; start += 1234) {
      limiter.process(blocks.channels.map((c) => c.subarray(start, Math.min(9000, start + 1234))));
    }
    expect(blocks).toEqual(once);
  });

  it('rejects bad parameters, naming the field', () => {
    const audio = stereo(16, () => 0);
    expectInvalid(() => applyLimiter(audio, { ceilingDbtp: 0.5 }), 'limiter.ceilingDbtp');
    expectInvalid(() => applyLimiter(audio, { ceilingDbtp: -21 }), 'limiter.ceilingDbtp');
    expectInvalid(() => applyLimiter(audio, { lookaheadMs: 0 }), 'limiter.lookaheadMs');
    expectInvalid(() => applyLimiter(audio, { releaseMs: Number.NaN }), 'limiter.releaseMs');
    expectInvalid(() => new TruePeakLimiter({}, FS, 3), 'channelCount');
  });
});

// ---------- stereo width ----------

describe('stereo width', () => {
  const random = rng(9);
  const wide = () => stereo(FS / 4, () => random() * 2 - 1);

  it('makes mono at 0 % (L == R) and leaves the audio exactly as it was at 100 %', () => {
    const mono = wide();
    applyStereoWidth(mono, { widthPercent: 0 });
    expect(mono.channels[0]).toEqual(mono.channels[1]);
    const stats = stereoStats(mono);
    expect(stats.widthPercent).toBe(0);
    expect(stats.correlation).toBeCloseTo(1, 12);
    const input = wide();
    const unchanged = copy(input);
    applyStereoWidth(unchanged, { widthPercent: 100 });
    expect(unchanged).toEqual(input);
  });

  it('scales the side signal: 200 % doubles it, mid untouched', () => {
    const input = wide();
    const out = copy(input);
    applyStereoWidth(out, { widthPercent: 200 });
    for (const n of [0, 17, 5000]) {
      const [l, r] = [input.channels[0]![n]!, input.channels[1]![n]!];
      expect(out.channels[0]![n]! + out.channels[1]![n]!).toBeCloseTo(l + r, 5);
      expect(out.channels[0]![n]! - out.channels[1]![n]!).toBeCloseTo(2 * (l - r), 5);
    }
  });

  it('reports correlation 1 for identical channels, −1 for inverted ones, ~0 for independent noise', () => {
    const x = signal(FS / 4, (n) => sin(n * 0.01) + 0.3 * sin(n * 0.37));
    expect(stereoStats({ sampleRate: FS, channels: [x, x.slice()] }).correlation).toBeCloseTo(1, 10);
    const inverted = stereoStats({ sampleRate: FS, channels: [x, x.map((v) => -v)] });
    expect(inverted.correlation).toBeCloseTo(-1, 10);
    expect(inverted.widthPercent).toBeCloseTo(200, 8);
    const independent = stereoStats(wide());
    expect(abs(independent.correlation)).toBeLessThan(0.02);
    expect(abs(independent.widthPercent - 100)).toBeLessThan(3);
    const silent = stereoStats(stereo(100, () => 0));
    expect(silent).toEqual({ widthPercent: 0, correlation: 1 });
  });

  it('rejects a width outside 0–200 %, naming the field', () => {
    expectInvalid(() => applyStereoWidth(wide(), { widthPercent: 250 }), 'stereoWidth.widthPercent');
    expectInvalid(() => applyStereoWidth(wide(), { widthPercent: -1 }), 'stereoWidth.widthPercent');
  });
});

// ---------- reverb ----------

describe('reverb', () => {
  const impulseResponse = (params: object, frames = FS) => {
    const audio = stereo(frames, (n) => (n === 0 ? 1 : 0));
    applyReverb(audio, { dry: 0, wet: 1, ...params });
    return audio;
  };
  const energy = (x: Float32Array, from: number, to: number) => rms(x, from, to) ** 2;

  it('is deterministic', () => {
    expect(impulseResponse({ roomSize: 0.8 })).toEqual(impulseResponse({ roomSize: 0.8 }));
  });

  it('has a tail that decays, longer for a larger room, and never blows up', () => {
    const small = impulseResponse({ roomSize: 0.2 }).channels[0]!;
    const large = impulseResponse({ roomSize: 0.9 }).channels[0]!;
    const window = FS / 10;
    for (let w = 1; w < 9; w++) {
      expect(energy(large, (w + 1) * window, (w + 2) * window)).toBeLessThan(energy(large, w * window, (w + 1) * window));
    }
    expect(energy(large, 5 * window, 6 * window)).toBeGreaterThan(10 * energy(small, 5 * window, 6 * window));
    const loudest = impulseResponse({ roomSize: 1, damping: 0 }, 2 * FS).channels[0]!;
    expect(loudest.every((x) => Number.isFinite(x) && abs(x) < 1)).toBe(true);
  });

  it('spreads a mono source in stereo and holds the tail back by the pre-delay', () => {
    const ir = impulseResponse({ preDelayMs: 50 });
    const stats = stereoStats(ir);
    expect(stats.correlation).toBeLessThan(0.5);
    const first = ir.channels[0]!.findIndex((x) => x !== 0);
    expect(first).toBeGreaterThanOrEqual(0.05 * FS);
  });

  it('passes the dry signal alone when wet is 0', () => {
    const input = stereo(4000, (n) => sin(n * 0.05));
    const out = copy(input);
    new Reverb({ wet: 0, dry: 1 }, FS, 2).process(out.channels);
    expect(out).toEqual(input);
  });

  it('rejects bad parameters, naming the field', () => {
    const audio = stereo(16, () => 0);
    expectInvalid(() => applyReverb(audio, { roomSize: 1.5 }), 'reverb.roomSize');
    expectInvalid(() => applyReverb(audio, { wet: -0.1 }), 'reverb.wet');
    expectInvalid(() => applyReverb(audio, { preDelayMs: 600 }), 'reverb.preDelayMs');
  });
});

// ---------- delay ----------

describe('delay', () => {
  it('puts the echo of an impulse at the right sample, each repeat scaled by the feedback', () => {
    const audio = stereo(2000, (n) => (n === 0 ? 1 : 0));
    const delay = new Delay({ timeMs: 10, feedback: 0.5, wet: 0.8, dry: 1 }, FS, 2);
    expect(delay.delaySamples).toBe(480);
    delay.process(audio.channels);
    const x = audio.channels[0]!;
    const nonZero = [...x.keys()].filter((n) => x[n] !== 0);
    expect(nonZero).toEqual([0, 480, 960, 1440, 1920]);
    expect([...nonZero.map((n) => x[n])]).toEqual([1, 0.8, 0.4, 0.2, 0.1].map(Math.fround));
  });

  it('lets the echoes die away geometrically', () => {
    const audio = stereo(FS, (n) => (n < 100 ? sin(n) : 0));
    applyDelay(audio, { timeMs: 50, feedback: 0.7, wet: 1, dry: 0 });
    const period = 2400;
    const echoes = [1, 2, 3, 4, 5].map((k) => rms(audio.channels[0]!, k * period, k * period + 100));
    for (let k = 1; k < echoes.length; k++) expect(echoes[k]! / echoes[k - 1]!).toBeCloseTo(0.7, 5);
  });

  it('ping-pongs: left, then right, then left', () => {
    const audio = stereo(1500, (n) => (n === 0 ? 1 : 0));
    applyDelay(audio, { timeMs: 10, feedback: 0.5, wet: 1, dry: 0, pingPong: true });
    const [l, r] = audio.channels as [Float32Array, Float32Array];
    expect([l[480], r[480]]).toEqual([1, 0]);
    expect([l[960], r[960]]).toEqual([0, 0.5]);
    expect([l[1440], r[1440]]).toEqual([0.25, 0]);
  });

  it('rejects bad parameters, naming the field', () => {
    const audio = stereo(16, () => 0);
    expectInvalid(() => applyDelay(audio, { timeMs: 100, feedback: 0.96 }), 'delay.feedback');
    expectInvalid(() => applyDelay(audio, { timeMs: 0 }), 'delay.timeMs');
    expectInvalid(() => applyDelay(audio, { timeMs: 100, pingPong: 'yes' } as never), 'delay.pingPong');
  });
});

// ---------- gain, pan and the bus ----------

describe('gain, pan and summing', () => {
  it('pans with constant power: −3 dB each side at the centre, full on one side at the extremes', () => {
    const centre = panGains(0);
    expect(db(centre.left)).toBeCloseTo(-3.01, 2);
    expect(db(centre.right)).toBeCloseTo(-3.01, 2);
    expect(panGains(-1)).toEqual({ left: 1, right: 0 });
    expect(panGains(1).left).toBeCloseTo(0, 12);
    expect(panGains(1).right).toBeCloseTo(1, 12);
    for (const pan of [-0.7, -0.2, 0.3, 0.9]) {
      const g = panGains(pan);
      expect(g.left ** 2 + g.right ** 2).toBeCloseTo(1, 12);
    }
  });

  it('turns mono into panned stereo with the gain, and leaves centred stereo at 0 dB as it is', () => {
    const mono = { sampleRate: FS, channels: [signal(100, (n) => sin(n))] };
    const x = mono.channels[0]!.slice();
    const out = applyGainPan(mono, { gainDb: -6, pan: 0.5 });
    const g = panGains(0.5);
    expect(out.channels).toHaveLength(2);
    for (const n of [3, 50]) {
      expect(out.channels[0]![n]).toBeCloseTo(x[n]! * 10 ** (-6 / 20) * g.left, 6);
      expect(out.channels[1]![n]).toBeCloseTo(x[n]! * 10 ** (-6 / 20) * g.right, 6);
    }
    const input = stereo(100, (n, c) => sin(n + c));
    const same = copy(input);
    applyGainPan(same, { gainDb: 0, pan: 0 });
    expect(same).toEqual(input);
  });

  const track = (value: number, frames: number, extra: object = {}) => ({
    audio: { sampleRate: FS, channels: [new Float32Array(frames).fill(value)] },
    gainDb: 0,
    pan: -1,
    mute: false,
    solo: false,
    ...extra,
  });

  it('sums tracks padded to the longest, honouring mute', () => {
    const bus = sumBus([track(0.1, 100), track(0.2, 50), track(0.4, 80, { mute: true })]);
    expect(bus.channels).toHaveLength(2);
    expect(bus.channels[0]).toHaveLength(100);
    expect(bus.channels[0]![10]).toBeCloseTo(0.3, 6);
    expect(bus.channels[0]![60]).toBeCloseTo(0.1, 6);
    expect(bus.channels[1]![10]).toBeCloseTo(0, 12);
  });

  it('plays only soloed tracks when any is soloed, and a muted track never', () => {
    const bus = sumBus([
      track(0.1, 100, { solo: true }),
      track(0.2, 100),
      track(0.4, 100, { solo: true, mute: true }),
      track(0.8, 100, { solo: true, gainDb: -6 }),
    ]);
    expect(bus.channels[0]![0]).toBeCloseTo(0.1 + 0.8 * 10 ** (-6 / 20), 6);
  });

  it('rejects bad tracks, naming the field', () => {
    expectInvalid(() => sumBus([]), 'tracks');
    expectInvalid(() => sumBus([track(0.1, 10), track(0.1, 10, { pan: 2 })]), 'tracks.1.pan');
    expectInvalid(() => sumBus([track(0.1, 10, { gainDb: 40 })]), 'tracks.0.gainDb');
    const other = track(0.1, 10);
    other.audio.sampleRate = 44_100;
    expectInvalid(() => sumBus([track(0.1, 10), other]), 'tracks.1.audio.sampleRate');
    expectInvalid(() => applyGainPan(stereo(10, () => 0), { pan: -1.5 }), 'gainPan.pan');
  });
});

// ---------- shared input checks ----------

describe('input checks', () => {
  it('rejects non-finite samples before writing anything, naming the channel', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const audio = stereo(100, (n) => sin(n));
      audio.channels[1]![42] = bad;
      const before = copy(audio);
      expectInvalid(() => applyLimiter(audio, {}), 'audio.channels.1');
      expectInvalid(() => applyEq(audio, { bands: [{ type: 'low-pass', freq: 1000 }] }), 'audio.channels.1');
      expect(audio).toEqual(before);
    }
    expectInvalid(() => sumBus([{ audio: { sampleRate: FS, channels: [new Float32Array([0, Number.NaN])] } }]), 'tracks.0.audio.channels.0');
  });

  it('rejects unusable formats, naming the field', () => {
    expectInvalid(() => new Compressor({ thresholdDb: -10, ratio: 2 }, 0, 2), 'sampleRate');
    expectInvalid(() => new Delay({ timeMs: 10 }, FS, 0), 'channelCount');
    expectInvalid(() => applyReverb({ sampleRate: FS, channels: [new Float32Array(4), new Float32Array(5)] }, {}), 'audio.channels');
    expectInvalid(() => applyDelay({ sampleRate: FS, channels: [] }, { timeMs: 10 }), 'audio.channels');
    expectInvalid(() => new Reverb({}, FS, 2).process([new Float32Array(4)]), 'channels');
  });

  it('processes empty audio as a no-op', () => {
    const empty = () => ({ sampleRate: FS, channels: [new Float32Array(0), new Float32Array(0)] });
    expect(applyLimiter(empty(), {}, { compensateLatency: true }).maxGainReductionDb).toBe(0);
    expect(() => applyCompressor(empty(), { thresholdDb: -10, ratio: 2 })).not.toThrow();
    expect(stereoStats(empty())).toEqual({ widthPercent: 0, correlation: 1 });
    expect(sumBus([{ audio: empty() }]).channels[0]).toHaveLength(0);
  });
});
