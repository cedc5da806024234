import { dbToGain, LimiterGainStage, type LimiterParamsInput, TruePeakDetector } from '../dsp';
import type { AudioData } from '../types';

/** Frames between checks of the abort signal and yields to the event loop. */
const CHUNK = 65_536;
/**
 * Gain a detection allows for beyond the gain it was made for. Later passes of a master
 * usually raise the gain by the loudness the first pass's limiting took away (well under
 * this), so they reuse it; the cost is a lower floor, so the long kernel runs more often.
 */
const DETECTION_HEADROOM_DB = 3;
/** Scaled by this before being stored as float32 (rounded to nearest), an estimate is never stored below its value. */
const ROUND_UP = 1 + 2 ** -23;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The true-peak limiter for one recording rendered at several gains, as mastering does (try
 * a gain, measure, correct). The detector is the expensive part, and its estimates scale
 * with its input (TruePeakDetector is homogeneous), so it runs once on the input as it is
 * and its estimates are stored (float32, rounded up); each render multiplies them by the
 * gain and runs only TruePeakLimiter's gain stage. The output is aligned with the input,
 * as applyLimiter's with compensateLatency (the limiter runs on into silence at the end).
 *
 * Under its floor the detector may return a bound in place of the exact estimate, which is
 * safe only while floor × gain is at most the limiter's threshold (then anything it did not
 * compute exactly needs no gain reduction). So a detection is made with the floor for the
 * gain asked plus DETECTION_HEADROOM_DB, and redone when a render asks for more than that.
 */
export class MasteringLimiter {
  private readonly frames: number;
  private peaks = new Float32Array(0);
  private detectedForGainDb = -Infinity;
  private detectionCount = 0;

  constructor(
    private readonly input: AudioData,
    private readonly params: LimiterParamsInput,
  ) {
    this.frames = input.channels[0]?.length ?? 0;
  }

  /** How many times the input has been through the detector: once, plus once per render past the headroom. */
  get detections(): number {
    return this.detectionCount;
  }

  /**
   * The input times `gainDb`, limited, written into `into` when given (buffers of a render no
   * longer needed: reusing them saves the page faults of fresh ones) or new buffers;
   * `reductionDb` is the deepest gain reduction (≥ 0).
   */
  async render(gainDb: number, signal?: AbortSignal, into?: Float32Array[]): Promise<{ audio: AudioData; reductionDb: number }> {
    if (gainDb > this.detectedForGainDb) await this.detect(gainDb + DETECTION_HEADROOM_DB, signal);
    const gain = dbToGain(gainDb);
    const stage = new LimiterGainStage(this.params, this.input.sampleRate);
    const latency = stage.latencySamples;
    const { channels } = this.input;
    const out = into ?? channels.map(() => new Float32Array(this.frames));
    const scaled = new Float64Array(CHUNK);
    const gains = new Float64Array(CHUNK);
    for (let start = 0; start < this.peaks.length; start += CHUNK) {
      signal?.throwIfAborted();
      const n = Math.min(CHUNK, this.peaks.length - start);
      scale(this.peaks, start, n, gain, scaled);
      stage.run(scaled, n, gains);
      // gains[i] is for frame start + i − latency; the first `latency` steps only fill the look-ahead.
      const first = Math.max(0, latency - start);
      for (let c = 0; c < channels.length; c++) applyGains(channels[c]!, out[c]!, gains, gain, first, n, start - latency);
      await yieldToLoop();
    }
    return { audio: { sampleRate: this.input.sampleRate, channels: out }, reductionDb: stage.maxGainReductionDb };
  }

  /** Stores the detector's estimate for every step of a limiter run over the input and `latency` frames of silence. */
  private async detect(maxGainDb: number, signal?: AbortSignal): Promise<void> {
    const { channels, sampleRate } = this.input;
    const { threshold, latencySamples: latency } = new LimiterGainStage(this.params, sampleRate);
    const detector = new TruePeakDetector(channels.length, threshold / dbToGain(maxGainDb));
    const silence = channels.map(() => new Float32Array(latency));
    const peaks = new Float32Array(this.frames + latency);
    const scratch = new Float64Array(CHUNK);
    for (let start = 0; start < peaks.length; start += CHUNK) {
      signal?.throwIfAborted();
      const end = Math.min(start + CHUNK, peaks.length);
      const inputEnd = Math.min(end, this.frames);
      if (start < inputEnd) detector.detect(channels, start, inputEnd, scratch);
      const silenceStart = Math.max(start, this.frames);
      if (silenceStart < end) detector.detect(silence, silenceStart - this.frames, end - this.frames, scratch, silenceStart - start);
      storeRoundedUp(scratch, end - start, peaks, start);
      await yieldToLoop();
    }
    this.peaks = peaks;
    this.detectedForGainDb = maxGainDb;
    this.detectionCount++;
  }
}

/** Stores estimates[0 … n) at peaks[start …] as float32, never below their values. */
function storeRoundedUp(estimates: Float64Array, n: number, peaks: Float32Array, start: number): void {
  for (let i = 0; i < n; i++) peaks[start + i] = estimates[i]! * ROUND_UP;
}

/** out[i] = peaks[start + i] × gain for i < n. */
function scale(peaks: Float32Array, start: number, n: number, gain: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = peaks[start + i]! * gain;
}

/** out[offset + i] = input[offset + i] × gain × gains[i] for i in [from, to). */
function applyGains(input: Float32Array, out: Float32Array, gains: Float64Array, gain: number, from: number, to: number, offset: number): void {
  for (let i = from; i < to; i++) out[offset + i] = input[offset + i]! * gain * gains[i]!;
}
