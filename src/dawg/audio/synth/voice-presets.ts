import type { PresetName, SubtractiveSpec, VoiceParams } from './synth-schema';

/** A plain saw with the filter open: the base a spec without a preset overrides. */
const defaultVoice: VoiceParams = {
  waveform: 'saw',
  osc2: null,
  unison: { voices: 1, detuneCents: 0, spread: 0 },
  noiseLevel: 0,
  amp: { attackMs: 5, decayMs: 100, sustain: 0.8, releaseMs: 100 },
  filter: { mode: 'off', cutoffHz: 20_000, resonance: 0, envAmountOctaves: 0, keyTrack: 0, velocityOctaves: 0 },
  filterEnv: { attackMs: 0, decayMs: 100, sustain: 0, releaseMs: 100 },
  velocitySensitivity: 0.7,
  pan: 0,
  gain: 0.4,
};
export const DEFAULT_VOICE: Readonly<VoiceParams> = Object.freeze(defaultVoice);

/*
 * Gains are set so a preset's typical polyphony (one bass note, a four-note pad chord) peaks
 * around -6 dBFS, leaving the mix bus room to sum tracks.
 */
export const VOICE_PRESETS: Readonly<Record<PresetName, Readonly<VoiceParams>>> = Object.freeze({
  bass: {
    waveform: 'saw',
    osc2: { waveform: 'square', semitones: -12, detuneCents: 0, level: 0.5 },
    unison: { voices: 1, detuneCents: 0, spread: 0 },
    noiseLevel: 0,
    amp: { attackMs: 2, decayMs: 150, sustain: 0.85, releaseMs: 60 },
    filter: { mode: 'lowpass', cutoffHz: 220, resonance: 0.3, envAmountOctaves: 3, keyTrack: 0.3, velocityOctaves: 1 },
    filterEnv: { attackMs: 1, decayMs: 180, sustain: 0.2, releaseMs: 80 },
    velocitySensitivity: 0.6,
    pan: 0,
    gain: 0.45,
  },
  pad: {
    waveform: 'saw',
    osc2: { waveform: 'triangle', semitones: 12, detuneCents: 4, level: 0.3 },
    unison: { voices: 4, detuneCents: 14, spread: 0.8 },
    noiseLevel: 0.02,
    amp: { attackMs: 600, decayMs: 800, sustain: 0.8, releaseMs: 1200 },
    filter: { mode: 'lowpass', cutoffHz: 1_200, resonance: 0.15, envAmountOctaves: 1, keyTrack: 0.5, velocityOctaves: 0.5 },
    filterEnv: { attackMs: 900, decayMs: 1_500, sustain: 0.5, releaseMs: 1_200 },
    velocitySensitivity: 0.3,
    pan: 0,
    gain: 0.15,
  },
  lead: {
    waveform: 'square',
    osc2: { waveform: 'saw', semitones: 0, detuneCents: 7, level: 0.6 },
    unison: { voices: 1, detuneCents: 0, spread: 0 },
    noiseLevel: 0,
    amp: { attackMs: 5, decayMs: 200, sustain: 0.75, releaseMs: 150 },
    filter: { mode: 'lowpass', cutoffHz: 1_800, resonance: 0.35, envAmountOctaves: 2, keyTrack: 0.7, velocityOctaves: 1 },
    filterEnv: { attackMs: 2, decayMs: 300, sustain: 0.3, releaseMs: 150 },
    velocitySensitivity: 0.5,
    pan: 0,
    gain: 0.3,
  },
  pluck: {
    waveform: 'saw',
    osc2: { waveform: 'square', semitones: 12, detuneCents: 0, level: 0.3 },
    unison: { voices: 1, detuneCents: 0, spread: 0 },
    noiseLevel: 0.01,
    amp: { attackMs: 1, decayMs: 350, sustain: 0, releaseMs: 200 },
    filter: { mode: 'lowpass', cutoffHz: 500, resonance: 0.4, envAmountOctaves: 4, keyTrack: 0.6, velocityOctaves: 1.5 },
    filterEnv: { attackMs: 0, decayMs: 180, sustain: 0, releaseMs: 150 },
    velocitySensitivity: 0.7,
    pan: 0,
    gain: 0.35,
  },
  keys: {
    waveform: 'triangle',
    osc2: { waveform: 'sine', semitones: 12, detuneCents: 2, level: 0.35 },
    unison: { voices: 1, detuneCents: 0, spread: 0 },
    noiseLevel: 0,
    amp: { attackMs: 3, decayMs: 900, sustain: 0.35, releaseMs: 300 },
    filter: { mode: 'lowpass', cutoffHz: 2_500, resonance: 0.1, envAmountOctaves: 1, keyTrack: 0.5, velocityOctaves: 1 },
    filterEnv: { attackMs: 1, decayMs: 600, sustain: 0.2, releaseMs: 300 },
    velocitySensitivity: 0.8,
    pan: 0,
    gain: 0.3,
  },
});

/** The voice a subtractive spec describes: its preset (or the default) with the given fields replaced. */
export function resolveVoice(spec: SubtractiveSpec | PresetName): VoiceParams {
  if (typeof spec === 'string') return resolveVoice({ type: 'subtractive', preset: spec });
  const base = spec.preset ? VOICE_PRESETS[spec.preset] : DEFAULT_VOICE;
  return {
    waveform: spec.waveform ?? base.waveform,
    osc2: spec.osc2 === undefined ? base.osc2 : spec.osc2,
    unison: { ...base.unison, ...spec.unison },
    noiseLevel: spec.noiseLevel ?? base.noiseLevel,
    amp: { ...base.amp, ...spec.amp },
    filter: { ...base.filter, ...spec.filter },
    filterEnv: { ...base.filterEnv, ...spec.filterEnv },
    velocitySensitivity: spec.velocitySensitivity ?? base.velocitySensitivity,
    pan: spec.pan ?? base.pan,
    gain: spec.gain ?? base.gain,
  };
}
