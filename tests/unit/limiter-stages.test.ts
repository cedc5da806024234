import { LimiterGainStage, PolyphaseInterpolator, TruePeakDetector } from '../../src/dawg/audio/dsp';
import { mulberry32 } from '../helpers/random';

const FS = 48_000;
const { abs, floor: floorOf, max, min, PI, sin } = Math;
const DELAY = TruePeakDetector.DELAY;

const rng = mulberry32;

const FRAMES = 12_000;
const random = rng(11);
const noise = [0, 1].map(() => Float32Array.from({ length: FRAMES }, () => random() * 2 - 1));
/** Stereo test signals mixing quiet and loud passages, so estimates fall either side of any floor tried. */
const signals: Record<string, Float32Array[]> = {
  'noise bursts': noise.map((c) => c.map((x, n) => x * (floorOf(n / 997) % 3 === 0 ? 2 : 0.05))),
  'sine at fs/4, phase π/4, rising': [0, 1].map(() => Float32Array.from({ length: FRAMES }, (_, n) => (n / FRAMES) * 1.5 * sin((PI * n) / 2 + PI / 4))),
  'spikes over a quiet sine': [0, 1].map((c) => Float32Array.from({ length: FRAMES }, (_, n) => (n % 1201 === 50 + c ? 1 : 0.1 * sin(n / 9)))),
  'square at 5.5 kHz': [0, 1].map(() => Float32Array.from({ length: FRAMES }, (_, n) => (sin((2 * PI * 5512.5 * n) / FS + 0.1) >= 0 ? 0.7 : -0.7))),
};

/** Estimates of every sample (entry j for sample j), fed in blocks of the given sizes, then on into silence. */
function estimates(channels: Float32Array[], floor: number, blockSizes: number[] = [channels[0]!.length + DELAY]): Float64Array {
  const frames = channels[0]!.length + DELAY;
  const padded = channels.map((c) => {
    const p = new Float32Array(frames);
    p.set(c);
    return p;
  });
  const detector = new TruePeakDetector(channels.length, floor);
  const out = new Float64Array(frames);
  for (let start = 0, b = 0; start < frames; b++) {
    const end = min(frames, start + blockSizes[b % blockSizes.length]!);
    detector.detect(padded, start, end, out, start);
    start = end;
  }
  return out.subarray(DELAY);
}

describe('TruePeakDetector', () => {
  it('gives the same estimates whatever the block sizes', () => {
    for (const channels of Object.values(signals)) {
      const once = estimates(channels, 0.5);
      expect(estimates(channels, 0.5, [1, 7, 1023, 1025, 5000])).toEqual(once);
      expect(estimates(channels.slice(0, 1), 0.5, [333])).toEqual(estimates(channels.slice(0, 1), 0.5));
    }
  });

  it('is at least every 4× point of both reconstructions (floor 0: everything computed)', () => {
    const meters = [new PolyphaseInterpolator({ factor: 4, tapsPerPhase: 12 }), new PolyphaseInterpolator({ factor: 4, tapsPerPhase: 32 })];
    for (const channels of Object.values(signals)) {
      const exact = estimates(channels, 0);
      for (const meter of meters) {
        const S = meter.halfSpan;
        const up = channels.map((c) => meter.upsample(c));
        let worst = 0;
        for (let j = 0; j < FRAMES; j++) {
          for (let p = 0; p < 4; p++) {
            const point = max(...up.map((u) => abs(u[(j + S) * 4 + p]!)));
            worst = max(worst, point - exact[j]!);
          }
        }
        // The folded kernels round differently from the meter's: equal up to that.
        expect(worst).toBeLessThan(1e-12);
      }
    }
  });

  it('is never below the exact estimate unless that is at or under the floor', () => {
    for (const [name, channels] of Object.entries(signals)) {
      const exact = estimates(channels, 0);
      let bounded = 0;
      for (const floor of [0.05, 0.3, 0.9, 3]) {
        const estimate = estimates(channels, floor);
        let under = 0;
        for (let j = 0; j < FRAMES; j++) {
          if (estimate[j]! < exact[j]! && exact[j]! > floor) under++;
          if (estimate[j]! > exact[j]!) bounded++;
        }
        expect({ name, floor, under }).toEqual({ name, floor, under: 0 });
      }
      // The skip path ran (it returns bounds above the exact value), or the test shows nothing.
      expect(bounded).toBeGreaterThan(0);
    }
  });

  it('scales with its input: g·x with floor g·f gives g times the estimates of x with floor f', () => {
    // A power of two scales every sum, product, quotient and comparison exactly.
    for (const channels of Object.values(signals)) {
      const scaled = channels.map((c) => c.map((x) => x * 4));
      const base = estimates(channels, 0.4);
      expect(estimates(scaled, 1.6)).toEqual(base.map((x) => x * 4));
    }
  });
});

describe('LimiterGainStage', () => {
  const params = { ceilingDbtp: -1, lookaheadMs: 1, releaseMs: 5 };

  it('never gives a sample more gain than any estimate within the interpolator’s reach of it needs', () => {
    const stage = new LimiterGainStage(params, FS);
    const T = stage.threshold;
    const S = DELAY - 1;
    const steps = 30_000;
    const r = rng(3);
    // Estimates per step (of the sample DELAY steps back): mostly under the threshold, with
    // isolated and clustered peaks up to 12 dB over.
    const peaks = Float64Array.from({ length: steps }, (_, s) => (r() < (s % 5000 < 2500 ? 0.002 : 0.05) ? T * (1 + 3 * r()) : T * r()));
    const gains = new Float64Array(steps);
    for (let start = 0; start < steps; start += 777) stage.run(peaks.subarray(start), min(777, steps - start), gains.subarray(start));
    const need = (position: number) => {
      const peak = peaks[position + DELAY] ?? 0;
      return peak > T ? T / peak : 1;
    };
    let worst = -Infinity;
    for (let s = stage.latencySamples; s < steps; s++) {
      const position = s - stage.latencySamples;
      let least = 1;
      for (let q = max(0, position - S); q <= position + S; q++) least = min(least, need(q));
      worst = max(worst, gains[s]! - least);
    }
    // The running sum of the moving average may round a hair above its values' minimum.
    expect(worst).toBeLessThan(1e-12);
    expect(stage.maxGainReductionDb).toBeGreaterThan(6);
  });

  it('gives unity gain, and no reduction, to estimates under the threshold', () => {
    const stage = new LimiterGainStage(params, FS);
    const peaks = new Float64Array(5000).fill(stage.threshold);
    const gains = new Float64Array(5000);
    stage.run(peaks, 5000, gains);
    expect(gains.every((g) => g === 1)).toBe(true);
    expect(stage.maxGainReductionDb).toBe(0);
  });
});
