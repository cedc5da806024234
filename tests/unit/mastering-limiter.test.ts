import { applyLimiter, dbToGain, PolyphaseInterpolator } from '../../src/dawg/audio/dsp';
import { MasteringLimiter } from '../../src/dawg/audio/master/mastering-limiter';
import type { AudioData } from '../../src/dawg/audio/types';
import { mulberry32 } from '../helpers/random';
import { countTurns } from '../helpers/event-loop';

const FS = 48_000;
const CEILING = -1;
const PARAMS = { ceilingDbtp: CEILING, lookaheadMs: 1.5, releaseMs: 80 };
const { cos, floor, log10, max, PI, sin, sqrt } = Math;

const rng = mulberry32;

const stereo = (frames: number, f: (n: number, c: number) => number): AudioData => ({
  sampleRate: FS,
  channels: [0, 1].map((c) => Float32Array.from({ length: frames }, (_, n) => f(n, c))),
});

const frames = FS / 4;
const random = rng(9);
const gaussian = () => sqrt(-2 * Math.log(random() || 1e-12)) * cos(2 * PI * random());
const noiseU = [0, 1].map(() => Float32Array.from({ length: frames }, () => random() * 2 - 1));
const noiseG = [0, 1].map(() => Float32Array.from({ length: frames }, () => gaussian() / 4));
/** The limiter tests' adversarial signals, at full scale: renders at +12 dB push them far over. */
const adversarial: Record<string, (n: number, c: number) => number> = {
  'square, 1 kHz': (n) => (sin((2 * PI * 1000 * n) / FS) >= 0 ? 1 : -1),
  'square, fs/4': (n) => ((n >> 1) & 1 ? -1 : 1),
  'square at Nyquist': (n) => (n & 1 ? -1 : 1),
  'single-sample spikes, alternating sign': (n) => (n % 3001 === 7 ? 1 : n % 3001 === 8 ? -1 : 0),
  'sine at fs/4, phase π/4': (n) => sin((PI * n) / 2 + PI / 4),
  'white noise, uniform': (n, c) => noiseU[c]![n]!,
  'white noise, Gaussian': (n, c) => noiseG[c]![n]!,
  'white noise bursts': (n, c) => noiseU[c]![n]! * (floor(n / 997) % 3 === 0 ? 1 : 0.05),
};

const meters = [
  new PolyphaseInterpolator({ factor: 4, tapsPerPhase: 12 }),
  new PolyphaseInterpolator({ factor: 8, tapsPerPhase: 32 }),
  new PolyphaseInterpolator({ factor: 16, tapsPerPhase: 12 }),
];
const truePeakDb = (audio: AudioData) => max(...meters.flatMap((meter) => audio.channels.map((c) => 20 * log10(meter.peak(c)))));

describe('MasteringLimiter', () => {
  it.each(Object.entries(adversarial))('keeps the true peak of %s under the ceiling at every gain, detecting again only past the headroom', async (_, f) => {
    const input = stereo(frames, f);
    const limiter = new MasteringLimiter(input, PARAMS);
    // +6 dB is past the first detection's headroom; -3 dB and +8 dB are within the second's.
    for (const [gainDb, detections] of [
      [0, 1],
      [6, 2],
      [-3, 2],
      [8, 2],
      [12, 3],
    ] as const) {
      const { audio, reductionDb } = await limiter.render(gainDb);
      expect({ gainDb, detections: limiter.detections }).toEqual({ gainDb, detections });
      expect(truePeakDb(audio)).toBeLessThanOrEqual(CEILING);
      if (gainDb >= 6) expect(reductionDb).toBeGreaterThan(0);
    }
  });

  it('renders what the streaming limiter gives the gained input, latency compensated', async () => {
    const input = stereo(frames, (n, c) => noiseU[c]![n]! * (floor(n / 997) % 3 === 0 ? 1 : 0.05) + 0.2 * sin((2 * PI * 110 * n) / FS));
    const limiter = new MasteringLimiter(input, PARAMS);
    for (const gainDb of [0, 2.5, 6]) {
      const gain = dbToGain(gainDb);
      const reference = { sampleRate: FS, channels: input.channels.map((c) => c.map((x) => x * gain)) };
      const streamed = applyLimiter(reference, PARAMS, { compensateLatency: true });
      const { audio, reductionDb } = await limiter.render(gainDb);
      let worst = 0;
      audio.channels.forEach((channel, c) => channel.forEach((x, i) => (worst = max(worst, Math.abs(x - reference.channels[c]![i]!)))));
      // Equal up to float32 rounding: the streaming limiter sees the gained input rounded to float32.
      expect(worst).toBeLessThan(1e-6);
      expect(reductionDb).toBeCloseTo(streamed.maxGainReductionDb, 4);
    }
  });

  it('writes into the buffers it is given', async () => {
    const input = stereo(frames, (n, c) => noiseU[c]![n]!);
    const limiter = new MasteringLimiter(input, PARAMS);
    const fresh = await limiter.render(3);
    const into = [new Float32Array(frames).fill(7), new Float32Array(frames).fill(7)];
    const reused = await limiter.render(3, undefined, into);
    expect(reused.audio.channels[0]).toBe(into[0]);
    expect(reused.audio.channels).toEqual(fresh.audio.channels);
  });

  it('stops when its signal is aborted, between chunks, and yields to the event loop while it works', async () => {
    const long = stereo(5 * 65_536, (n, c) => noiseU[c]![n % frames]!);
    const aborted = new AbortController();
    aborted.abort();
    await expect(new MasteringLimiter(long, PARAMS).render(0, aborted.signal)).rejects.toMatchObject({ name: 'AbortError' });

    const controller = new AbortController();
    let turns = 0;
    const spin = () => {
      turns++;
      if (turns === 3) controller.abort();
      else setImmediate(spin);
    };
    setImmediate(spin);
    await expect(new MasteringLimiter(long, PARAMS).render(0, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(turns).toBe(3);

    const counter = countTurns();
    await new MasteringLimiter(long, PARAMS).render(0);
    const ticks = counter.stop();
    // One detection and one render of 5+ chunks each: the loop got a turn after each chunk.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });
});
