import { fieldError } from '../../../common/validation';
import type { AudioData } from '../types';

/**
 * What the I/O layer accepts. 8 kHz (telephony) to 384 kHz (the highest rate in common use)
 * covers every real recording; anything outside is a corrupt header or a typo, and letting it
 * through would size buffers and filters from garbage. The engine is mono/stereo throughout
 * (width, pan, summing), so more channels are refused rather than half-supported.
 */
export const AUDIO_IO_LIMITS = Object.freeze({
  minSampleRate: 8_000,
  maxSampleRate: 384_000,
  maxChannels: 2,
});

export function isSupportedSampleRate(rate: number): boolean {
  return Number.isInteger(rate) && rate >= AUDIO_IO_LIMITS.minSampleRate && rate <= AUDIO_IO_LIMITS.maxSampleRate;
}

export const SAMPLE_RATE_RULE = `must be an integer from ${AUDIO_IO_LIMITS.minSampleRate} to ${AUDIO_IO_LIMITS.maxSampleRate} Hz`;

/** Checks the shape of an AudioData handed to an encoder or the resampler; returns its frame count. */
export function assertAudioShape(audio: AudioData, where = 'audio'): number {
  if (!isSupportedSampleRate(audio.sampleRate)) {
    throw fieldError(`${where}.sampleRate`, `${SAMPLE_RATE_RULE}, got ${audio.sampleRate}`);
  }
  const count = audio.channels.length;
  if (count < 1 || count > AUDIO_IO_LIMITS.maxChannels) {
    throw fieldError(`${where}.channels`, `must hold 1 (mono) or 2 (stereo) channels, got ${count}`);
  }
  const frames = audio.channels[0]!.length;
  audio.channels.forEach((channel, index) => {
    if (!(channel instanceof Float32Array)) throw fieldError(`${where}.channels.${index}`, 'must be a Float32Array');
    if (channel.length !== frames) {
      throw fieldError(`${where}.channels.${index}`, `has ${channel.length} samples, channel 0 has ${frames}`);
    }
  });
  return frames;
}
