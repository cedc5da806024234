import FFT from 'fft.js';
import type { AudioData } from '../types';

// Bound once: jest runs this code in a vm where each global lookup in a hot loop is slow.
const { ceil, cos, floor, log2, log10, max, min, round, PI } = Math;

/** How the Welch spectra of the resonance detector are taken. */
export const WELCH = Object.freeze({
  /** FFT size at 44.1/48 kHz (5.4–5.9 Hz per bin); doubled at 96 kHz so the bins stay as fine. */
  baseFftSize: 8192,
  baseRate: 48_000,
  /** At most this many frames, spread evenly over the track: a 10-minute track costs no more than a 20-second one. */
  maxFrames: 64,
  /** Fewer frames carrying signal than this give no persistence worth the name. */
  minFrames: 8,
  /** A frame carries signal when its level is above −100 dBFS and within 60 dB of the loudest frame. */
  signalFloorDb: -100,
  signalRangeDb: 60,
  /**
   * The smoothed envelope at a bin is the median of the bins within ±1/3 octave. A median is not
   * lifted by a peak narrower than half its window: at ±1/6 octave a mode of Q 4–6 (a third of
   * an octave across its skirts) lifted it and went unseen.
   */
  envelopeOctaves: 1 / 3,
});

/** Floor added before taking dB, so digital silence reads −200 dB rather than −Infinity. */
const POWER_FLOOR = 1e-20;

export interface WelchSpectrum {
  sampleRate: number;
  fftSize: number;
  binHz: number;
  /** Mean power of the frames carrying signal, per bin 0 … fftSize/2, dB re a full-scale sine's peak bin. */
  averageDb: Float64Array;
  /** Each frame carrying signal: power per bin, linear, on the same scale. */
  frames: Float32Array[];
}

export type WelchResult =
  | { ok: true; spectrum: WelchSpectrum }
  | { ok: false; reason: 'too-short' | 'silent' | 'too-little-signal'; framesWithSignal: number };

/** The FFT size for a sample rate: 8192 up to 48 kHz, scaled by powers of two above. */
export function fftSizeFor(sampleRate: number): number {
  return WELCH.baseFftSize * 2 ** max(0, round(log2(sampleRate / WELCH.baseRate)));
}

/**
 * Welch spectrum of the mono sum of `audio`: Hann-windowed frames at 50 % overlap, or (on a
 * track longer than `maxFrames` of them) `maxFrames` frames evenly spread over it. Only frames
 * carrying signal are kept and averaged, so silences neither dilute nor count.
 */
export function welchSpectrum(audio: AudioData): WelchResult {
  const n = fftSizeFor(audio.sampleRate);
  const length = audio.channels[0]?.length ?? 0;
  const starts = frameStarts(length, n);
  if (starts.length < WELCH.minFrames) return { ok: false, reason: 'too-short', framesWithSignal: 0 };
  const window = hann(n);
  let windowSum = 0;
  for (let i = 0; i < n; i++) windowSum += window[i]!;
  // |X|² of a sine of amplitude A at a bin centre is (A·Σw/2)²: this scale reads it as A².
  const scale = 4 / (windowSum * windowSum);
  const fft = new FFT(n);
  const frame = new Float64Array(n);
  const out = new Float64Array(2 * n);
  const frames: Float32Array[] = [];
  const levels: number[] = [];
  for (const start of starts) {
    monoFrame(audio.channels, start, window, frame);
    fft.realTransform(out, frame);
    const { power, total } = binPower(out, n, scale);
    frames.push(power);
    levels.push(total);
  }
  const loudest = max(...levels);
  const threshold = max(10 ** (WELCH.signalFloorDb / 10), loudest * 10 ** (-WELCH.signalRangeDb / 10));
  const kept = frames.filter((_, j) => levels[j]! >= threshold && levels[j]! > 0);
  if (kept.length < WELCH.minFrames) return { ok: false, reason: kept.length === 0 ? 'silent' : 'too-little-signal', framesWithSignal: kept.length };
  return { ok: true, spectrum: { sampleRate: audio.sampleRate, fftSize: n, binHz: audio.sampleRate / n, averageDb: averageDb(kept, n / 2 + 1), frames: kept } };
}

/** Frame starts at 50 % overlap, or `maxFrames` of them evenly spread when there would be more. */
function frameStarts(length: number, n: number): number[] {
  if (length < n) return [];
  const hop = n / 2;
  const count = floor((length - n) / hop) + 1;
  if (count <= WELCH.maxFrames) return Array.from({ length: count }, (_, j) => j * hop);
  const span = length - n;
  return Array.from({ length: WELCH.maxFrames }, (_, j) => round((j * span) / (WELCH.maxFrames - 1)));
}

/** Periodic Hann window: the one whose 50 %-overlapped copies sum to a constant. */
function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * cos((2 * PI * i) / n);
  return w;
}

/** The windowed mean of the channels from `start`, into `frame`; read from the channels, never copied whole. */
function monoFrame(channels: readonly Float32Array[], start: number, window: Float64Array, frame: Float64Array): void {
  const n = frame.length;
  const left = channels[0]!;
  const right = channels[1];
  if (!right || channels.length > 2) {
    const gain = 1 / channels.length;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (const channel of channels) sum += channel[start + i]!;
      frame[i] = sum * gain * window[i]!;
    }
    return;
  }
  for (let i = 0; i < n; i++) frame[i] = 0.5 * (left[start + i]! + right[start + i]!) * window[i]!;
}

/** Scaled |X|² of bins 0 … n/2 and their sum (the frame's level on the same scale). */
function binPower(out: Float64Array, n: number, scale: number): { power: Float32Array; total: number } {
  const bins = n / 2 + 1;
  const power = new Float32Array(bins);
  let total = 0;
  for (let k = 0; k < bins; k++) {
    const re = out[2 * k]!;
    const im = out[2 * k + 1]!;
    const p = (re * re + im * im) * scale;
    power[k] = p;
    total += p;
  }
  return { power, total };
}

function averageDb(frames: readonly Float32Array[], bins: number): Float64Array {
  const sum = new Float64Array(bins);
  for (const power of frames) for (let k = 0; k < bins; k++) sum[k]! += power[k]!;
  const db = new Float64Array(bins);
  const count = frames.length;
  for (let k = 0; k < bins; k++) db[k] = 10 * log10(sum[k]! / count + POWER_FLOOR);
  return db;
}

/** The bins of the envelope window around bin `k`: ±`envelopeOctaves`, inside the spectrum. */
export function envelopeWindow(k: number, bins: number): { lo: number; hi: number } {
  const ratio = 2 ** WELCH.envelopeOctaves;
  return { lo: max(1, floor(k / ratio)), hi: min(bins - 1, ceil(k * ratio)) };
}

/**
 * Median of `values[lo … hi]` (Hoare's selection on a copy in `scratch`, which must hold
 * hi − lo + 1 numbers): the smoothed envelope, which a narrow peak does not lift.
 */
export function medianOf(values: ArrayLike<number>, lo: number, hi: number, scratch: Float64Array): number {
  const count = hi - lo + 1;
  for (let i = 0; i < count; i++) scratch[i] = values[lo + i]!;
  const mid = count >> 1;
  let left = 0;
  let right = count - 1;
  while (left < right) {
    const pivot = scratch[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (scratch[i]! < pivot) i++;
      while (scratch[j]! > pivot) j--;
      if (i <= j) {
        const t = scratch[i]!;
        scratch[i] = scratch[j]!;
        scratch[j] = t;
        i++;
        j--;
      }
    }
    if (mid <= j) right = j;
    else if (mid >= i) left = i;
    else break;
  }
  return scratch[mid]!;
}
