import { z } from 'zod';
import type { AudioData } from '../types';
import { fieldError, parseInput } from '../../../common/validation';
import { assertAudio } from './audio-processor';
import { dbToGain } from './decibels';

export const gainPanSchema = z.strictObject({
  /** −96 dB is as good as silence at 24-bit; +24 dB is the most a fader gives. */
  gainDb: z.number().min(-96).max(24).default(0),
  /** −1 hard left, 0 centre, 1 hard right. */
  pan: z.number().min(-1).max(1).default(0),
});
export type GainPanParams = z.output<typeof gainPanSchema>;
export type GainPanParamsInput = z.input<typeof gainPanSchema>;

export interface StereoGains {
  left: number;
  right: number;
}

/**
 * Constant-power pan law for a mono source: θ = (pan + 1)·π/4, left = cos θ, right = sin θ,
 * so left² + right² = 1 everywhere and the centre is −3 dB on each side.
 */
export function panGains(pan: number): StereoGains {
  const theta = ((pan + 1) * Math.PI) / 4;
  return { left: Math.cos(theta), right: Math.sin(theta) };
}

/**
 * Balance for a stereo source: the same law scaled by √2 and capped at 1, so the centre
 * leaves both channels as they are and panning only turns the far side down.
 */
export function balanceGains(pan: number): StereoGains {
  const { left, right } = panGains(pan);
  return { left: Math.min(1, left * Math.SQRT2), right: Math.min(1, right * Math.SQRT2) };
}

function sourceGains(channelCount: number, params: GainPanParams): StereoGains {
  const gain = dbToGain(params.gainDb);
  const { left, right } = channelCount === 1 ? panGains(params.pan) : balanceGains(params.pan);
  return { left: left * gain, right: right * gain };
}

/** Scales every channel in place by `gainDb` (a plain gain: loudness moves by exactly that). */
export function scaleInPlace(audio: AudioData, gainDb: number): AudioData {
  const gain = dbToGain(gainDb);
  for (const channel of audio.channels) for (let i = 0; i < channel.length; i++) channel[i]! *= gain;
  return audio;
}

/**
 * Gain and pan to stereo. Stereo audio is changed in place and returned; mono audio's
 * buffer is scaled in place to become the left channel and a new right channel is added.
 */
export function applyGainPan(audio: AudioData, params: GainPanParamsInput): AudioData {
  const p = parseInput(gainPanSchema, params, 'gainPan');
  assertAudio(audio);
  const { left, right } = sourceGains(audio.channels.length, p);
  const [l, r] = audio.channels as [Float32Array, Float32Array | undefined];
  const out = r ?? new Float32Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const x = l[i]!;
    out[i] = (r ? r[i]! : x) * right;
    l[i] = x * left;
  }
  return { sampleRate: audio.sampleRate, channels: [l, out] };
}

export const busTrackSchema = gainPanSchema.extend({
  mute: z.boolean().default(false),
  solo: z.boolean().default(false),
});
export type BusTrackSettings = z.input<typeof busTrackSchema>;
export interface BusTrack extends BusTrackSettings {
  audio: AudioData;
}

/**
 * Mixes tracks to one stereo bus: each track's gain and pan (mono panned, stereo balanced),
 * summed, padded to the longest track. If any track is soloed only soloed tracks play; a
 * muted track never plays, soloed or not. The tracks' audio is not changed.
 */
export function sumBus(tracks: readonly BusTrack[]): AudioData {
  if (tracks.length === 0) throw fieldError('tracks', 'must hold at least one track');
  const settings = tracks.map(({ audio, ...rest }, i) => {
    assertAudio(audio, `tracks.${i}.audio`);
    return parseInput(busTrackSchema, rest, `tracks.${i}`);
  });
  const sampleRate = tracks[0]!.audio.sampleRate;
  tracks.forEach((t, i) => {
    if (t.audio.sampleRate !== sampleRate) {
      throw fieldError(`tracks.${i}.audio.sampleRate`, `is ${t.audio.sampleRate} Hz; all tracks must share ${sampleRate} Hz`);
    }
  });
  const frames = Math.max(...tracks.map((t) => t.audio.channels[0]?.length ?? 0));
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  const anySolo = settings.some((s) => s.solo);
  tracks.forEach(({ audio }, i) => {
    const s = settings[i]!;
    if (s.mute || (anySolo && !s.solo)) return;
    const gains = sourceGains(audio.channels.length, s);
    const [l, r] = audio.channels as [Float32Array, Float32Array | undefined];
    const src = r ?? l;
    for (let n = 0; n < l.length; n++) {
      left[n]! += l[n]! * gains.left;
      right[n]! += src[n]! * gains.right;
    }
  });
  return { sampleRate, channels: [left, right] };
}
