import { applyGainPan, sumBus } from '../dsp';
import { integratedLoudness, measureLoudnessBlocks } from '../loudness';
import type { AudioData } from '../types';

/** Track fader range of the project schema. */
const MIN_GAIN_DB = -60;
const MAX_GAIN_DB = 24;

export interface BalanceTrack {
  trackId: string;
  /** Stereo, after the plugin chain (the fader is applied here). */
  audio: AudioData;
  gainDb: number;
  pan: number;
  mute: boolean;
  solo: boolean;
}

export interface BalancedTrack {
  trackId: string;
  /** Integrated loudness at its old fader (gain and pan), LUFS. */
  lufsBefore: number | null;
  /** Integrated loudness at the new fader, LUFS. */
  lufsAfter: number | null;
  previousGainDb: number;
  gainDb: number;
  /** balanced; silent and not-playing tracks are left alone; clamped hit the fader's range. */
  status: 'balanced' | 'clamped' | 'silent' | 'not-playing';
}

export interface BalanceResult {
  tracks: BalancedTrack[];
  mix: AudioData;
  /** The mix loudness after the equal-loudness pass, before the one correction. */
  firstPassLufs: number | null;
  correctionDb: number;
}

/** Integrated loudness of a track through its fader, without changing it. */
export function faderLoudness(audio: AudioData, gainDb: number, pan: number): number | null {
  const copy = { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice()) };
  return integratedLoudness(measureLoudnessBlocks(applyGainPan(copy, { gainDb, pan })));
}

const mixOf = (tracks: readonly BalanceTrack[], gains: readonly number[]) =>
  sumBus(tracks.map((t, i) => ({ audio: t.audio, gainDb: gains[i]!, pan: t.pan, mute: t.mute, solo: t.solo })));

const round = (db: number) => Math.round(db * 100) / 100;
const clampGain = (db: number) => Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, db));

/**
 * Sets the faders so every playing track has the same integrated loudness and the mix lands
 * at `targetLufs`: equal loudness at target − 10·log10(n) (the sum of n uncorrelated tracks),
 * one render, then every gain moved by the measured error. Loudness scales exactly with gain,
 * so the single correction lands the mix unless a fader reaches its limit.
 */
export function balanceLevels(tracks: readonly BalanceTrack[], targetLufs: number): BalanceResult {
  const anySolo = tracks.some((t) => t.solo);
  const playing = tracks.map((t) => !t.mute && (!anySolo || t.solo));
  // Loudness at 0 dB; a track's loudness at gain g is this plus g.
  const unity = tracks.map((t, i) => (playing[i] ? faderLoudness(t.audio, 0, t.pan) : null));
  const audible = unity.filter((l) => l !== null).length;
  const perTrackTarget = targetLufs - 10 * Math.log10(Math.max(1, audible));
  const gains = tracks.map((t, i) => (unity[i] === null ? t.gainDb : perTrackTarget - unity[i]!));
  // The fader range bounds the first pass too (a very quiet track would need more than +24 dB).
  const firstPassLufs = audible > 0 ? integratedLoudness(measureLoudnessBlocks(mixOf(tracks, gains.map(clampGain)))) : null;
  const correctionDb = firstPassLufs === null ? 0 : targetLufs - firstPassLufs;
  const finalGains = gains.map((g, i) => (unity[i] === null ? g : round(clampGain(g + correctionDb))));
  const result = tracks.map((t, i): BalancedTrack => {
    const l0 = unity[i] ?? null;
    const wanted = gains[i]! + correctionDb;
    const status = !playing[i] ? 'not-playing' : l0 === null ? 'silent' : wanted !== clampGain(wanted) ? 'clamped' : 'balanced';
    const lufsBefore = playing[i] ? (l0 === null ? null : l0 + t.gainDb) : faderLoudness(t.audio, t.gainDb, t.pan);
    const lufsAfter = l0 === null ? lufsBefore : l0 + finalGains[i]!;
    return { trackId: t.trackId, lufsBefore, lufsAfter, previousGainDb: t.gainDb, gainDb: finalGains[i]!, status };
  });
  return { tracks: result, mix: mixOf(tracks, finalGains), firstPassLufs, correctionDb };
}
