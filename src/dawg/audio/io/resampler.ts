import { fieldError } from '../../../common/validation';
import type { AudioData } from '../types';
import { assertAudioShape, isSupportedSampleRate, SAMPLE_RATE_RULE } from './audio-limits';
import { designKernel, type SincKernel } from './sinc-kernel';

/** Bound once: Jest 30 guards the global `Math`, and a lookup per sample costs 50x there. */
const { floor, max, min } = Math;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Converts audio to `targetRate` with a Kaiser-windowed sinc (see sinc-kernel.ts): flat to 91%
 * of the lower Nyquist frequency, at least 80 dB down from that Nyquist frequency on, zero
 * phase (no delay), any integer rate pair. Output time is tracked as an exact fraction of
 * input samples, so there is no drift however long the file. Samples outside the input are
 * taken as silence. Returns `audio` itself, not a copy, when the rates are already equal.
 *
 * Cost is about 120 multiply-adds per output sample and channel for 44.1 ↔ 48 kHz: run long
 * files off the event loop (a worker), as every long render is.
 */
export function resample(audio: AudioData, targetRate: number): AudioData {
  const frames = assertAudioShape(audio);
  if (!isSupportedSampleRate(targetRate)) throw fieldError('targetRate', `${SAMPLE_RATE_RULE}, got ${targetRate}`);
  if (targetRate === audio.sampleRate) return audio;
  const divisor = gcd(audio.sampleRate, targetRate);
  const up = targetRate / divisor;
  const down = audio.sampleRate / divisor;
  const kernel = designKernel(audio.sampleRate, targetRate, up);
  const outFrames = Math.ceil((frames * up) / down);
  return {
    sampleRate: targetRate,
    channels: audio.channels.map((channel) => resampleChannel(channel, outFrames, up, down, kernel)),
  };
}

function resampleChannel(x: Float32Array, outFrames: number, up: number, down: number, k: SincKernel): Float32Array {
  const y = new Float32Array(outFrames);
  const step = floor(down / up);
  const stepFrac = down % up;
  const phaseScale = k.phases / up;
  // Output n sits at input time index + frac / up, advanced exactly by down / up per sample.
  let index = 0;
  let frac = 0;
  for (let n = 0; n < outFrames; n++) {
    const start = index - k.halfTaps + 1;
    if (k.exact) y[n] = dot(x, start, k.table, frac * k.taps, k.taps);
    else {
      const position = frac * phaseScale;
      const row = floor(position);
      const weight = position - row;
      // The kernel is linear in its coefficients, so interpolating rows = interpolating outputs.
      const a = dot(x, start, k.table, row * k.taps, k.taps);
      const b = dot(x, start, k.table, (row + 1) * k.taps, k.taps);
      y[n] = a + (b - a) * weight;
    }
    index += step;
    frac += stepFrac;
    if (frac >= up) {
      frac -= up;
      index++;
    }
  }
  return y;
}

function dot(x: Float32Array, start: number, table: Float64Array, base: number, taps: number): number {
  let acc = 0;
  if (start >= 0 && start + taps <= x.length) {
    // taps is even; two accumulators halve the add dependency chain.
    let acc2 = 0;
    for (let j = 0; j < taps; j += 2) {
      acc += x[start + j]! * table[base + j]!;
      acc2 += x[start + j + 1]! * table[base + j + 1]!;
    }
    return acc + acc2;
  }
  const from = max(0, -start);
  const to = min(taps, x.length - start);
  for (let j = from; j < to; j++) acc += x[start + j]! * table[base + j]!;
  return acc;
}
