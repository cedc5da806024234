export { AUDIO_IO_LIMITS } from './audio-limits';
export { decodeWav } from './wav-decoder';
export { encodeWav, type WavEncodeOptions, WavEncodeOptionsSchema } from './wav-encoder';
export type { DecodedWav } from './wav-format';
export { readMidi } from './midi-reader';
export { writeMidi } from './midi-writer';
export {
  MIDI_MAX_BPM,
  MIDI_MIN_BPM,
  type MidiNote,
  MidiNoteSchema,
  type MidiSong,
  MidiSongSchema,
  type MidiTrack,
  MidiTrackSchema,
} from './midi-song';
export { resample } from './resampler';
