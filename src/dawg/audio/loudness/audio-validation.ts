import { fieldError } from '../../../common/validation';
import type { AudioData } from '../types';

export const MIN_SAMPLE_RATE = 8_000;
export const MAX_SAMPLE_RATE = 384_000;

/**
 * Checks that `audio` can be measured: a whole sample rate in 8–384 kHz, at least one channel,
 * at least one frame, every channel the same length and every sample finite. Throws an
 * InvalidError (400) whose message names the offending field, channel and sample.
 */
export function assertMeasurableAudio(audio: AudioData): void {
  const { sampleRate, channels } = audio;
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw fieldError('audio.sampleRate', `must be a whole number of Hz from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}, got ${sampleRate}`);
  }
  const first = channels[0];
  if (first === undefined) throw fieldError('audio.channels', 'must hold at least one channel, got none');
  if (first.length === 0) throw fieldError('audio.channels', 'hold no samples (0 frames)');
  channels.forEach((channel, index) => {
    if (!(channel instanceof Float32Array)) throw fieldError(`audio.channels.${index}`, 'must be a Float32Array');
    if (channel.length !== first.length) {
      throw fieldError(`audio.channels.${index}`, `has ${channel.length} samples but channel 0 has ${first.length}`);
    }
    const bad = firstNonFiniteIndex(channel);
    if (bad !== -1) {
      throw fieldError(`audio.channels.${index}`, `sample ${bad} is ${channel[bad]}; samples must be finite`, {
        channel: index,
        sampleIndex: bad,
      });
    }
  });
}

function firstNonFiniteIndex(samples: Float32Array): number {
  // x - x is 0 for every finite x and NaN for NaN and ±Infinity; one subtraction per sample.
  let check = 0;
  const n = samples.length;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    check += x - x;
  }
  if (check === 0) return -1;
  for (let i = 0; i < n; i++) if (!Number.isFinite(samples[i]!)) return i;
  return -1;
}
