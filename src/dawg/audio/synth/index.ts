/**
 * The DAWG's built-in synthesiser: renders notes to stereo AudioData with subtractive voices
 * and synthesised General-MIDI drums. Deterministic (seeded noise) and pure computation, so a
 * render can move to a worker thread unchanged.
 */
export { renderSong, renderTrack } from './synth-renderer';
export type { RenderOptionsInput, SynthTrackInput } from './synth-renderer';
export {
  AdsrSchema,
  DrumKitSpecSchema,
  FilterSchema,
  InstrumentSpecSchema,
  Osc2Schema,
  PresetNameSchema,
  RenderOptionsSchema,
  SubtractiveSpecSchema,
  SYNTH_LIMITS,
  SynthNoteSchema,
  SynthSongSchema,
  SynthTrackSchema,
  UnisonSchema,
  VoiceParamsSchema,
  WaveformSchema,
} from './synth-schema';
export type {
  Adsr,
  DrumKitSpec,
  Filter,
  InstrumentSpec,
  Osc2,
  PresetName,
  RenderOptions,
  SubtractiveSpec,
  SynthNote,
  SynthTrack,
  Unison,
  VoiceParams,
  Waveform,
} from './synth-schema';
export { DEFAULT_VOICE, VOICE_PRESETS } from './voice-presets';
export { GM_DRUM_MAP } from './drum-kit';
export type { DrumName } from './drum-kit';
