import type { AudioData } from '../types';
import { fieldError } from '../../../common/validation';

/**
 * A streaming processor: it keeps its state between calls, so a long render can be fed in
 * blocks (e.g. from a worker thread) and sound exactly as if processed in one go.
 */
export interface AudioProcessor {
  /** Samples by which the output lags the input (only the look-ahead limiter has any). */
  readonly latencySamples: number;
  /**
   * Processes one block in place: as many channels as the processor was built for, all the
   * same length. Samples must be finite (a NaN would stay in filter and envelope state for
   * good); the apply* functions check that, block-wise callers are trusted to.
   */
  process(channels: Float32Array[]): void;
  /** Forgets all state (filter memories, envelopes, delay lines), as if newly built. */
  reset(): void;
}

/** The processors handle mono and stereo only, as AudioData promises. */
export const MAX_CHANNELS = 2;

/**
 * Throws a 400 naming `where` unless the audio is 1–2 equal-length channels of finite
 * samples at a sane rate. Checked before anything is written, so a rejected buffer is untouched.
 */
export function assertAudio(audio: AudioData, where = 'audio'): void {
  assertSampleRate(audio.sampleRate, `${where}.sampleRate`);
  assertChannelCount(audio.channels.length, `${where}.channels`);
  const frames = audio.channels[0]?.length ?? 0;
  audio.channels.forEach((channel, c) => {
    if (channel.length !== frames) throw fieldError(`${where}.channels`, 'all channels must have the same length');
    const bad = firstNonFinite(channel);
    if (bad >= 0) throw fieldError(`${where}.channels.${c}`, `sample ${bad} is ${channel[bad]}; samples must be finite`);
  });
}

/** Index of the first NaN or ±Infinity, or −1. */
function firstNonFinite(samples: Float32Array): number {
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity.
    if (x - x !== 0) return i;
  }
  return -1;
}

export function assertSampleRate(sampleRate: number, field = 'sampleRate'): void {
  if (!Number.isFinite(sampleRate) || sampleRate < 1_000 || sampleRate > 768_000) {
    throw fieldError(field, `must be a sample rate in Hz (1000–768000), got ${sampleRate}`);
  }
}

/** What a processor's constructor checks besides its parameters. */
export function assertFormat(sampleRate: number, channelCount: number): void {
  assertSampleRate(sampleRate);
  assertChannelCount(channelCount);
}

export function assertChannelCount(count: number, field = 'channelCount'): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_CHANNELS) {
    throw fieldError(field, `must be 1 (mono) or 2 (stereo) channels, got ${count}`);
  }
}

/** Checks a block handed to `process` against what the processor was built for. */
export function assertBlock(channels: Float32Array[], channelCount: number): void {
  if (channels.length !== channelCount) {
    throw fieldError('channels', `expected ${channelCount} channel(s), got ${channels.length}`);
  }
  const frames = channels[0]?.length ?? 0;
  if (channels.some((c) => c.length !== frames)) throw fieldError('channels', 'all channels must have the same length');
}
