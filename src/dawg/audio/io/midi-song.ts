import { z } from 'zod';

/** SMF stores tempo as microseconds per quarter note in 24 bits, which bounds the BPM it can hold. */
export const MIDI_MIN_BPM = 60_000_000 / 0xff_ffff;
export const MIDI_MAX_BPM = 60_000_000;
/** The SMF header's track count is 16 bits and the writer adds one conductor track. */
export const MIDI_MAX_TRACKS = 0xffff - 1;

export const MidiNoteSchema = z.strictObject({
  pitch: z.number().int().min(0).max(127),
  /** 1–127: a note-on with velocity 0 means note-off in MIDI, so 0 is not a note. */
  velocity: z.number().int().min(1).max(127),
  startBeats: z.number().min(0).finite(),
  durationBeats: z.number().min(0).finite(),
});
export type MidiNote = z.infer<typeof MidiNoteSchema>;

export const MidiTrackSchema = z.strictObject({
  name: z.string().max(1_000).optional(),
  /** 0–15, zero-based: General MIDI drums are channel 9 (shown as "10" by most DAWs). */
  channel: z.number().int().min(0).max(15),
  /** General MIDI program 0–127, sent as a program change at the start of the track. */
  program: z.number().int().min(0).max(127).optional(),
  notes: z.array(MidiNoteSchema),
});
export type MidiTrack = z.infer<typeof MidiTrackSchema>;

/**
 * A Standard MIDI File reduced to what the DAW plays: timing in beats (quarter notes) at
 * `ppq` ticks per beat, the song's first tempo, and per track one channel's notes and program.
 * Tempo changes, controllers and pitch bend are not modelled and are dropped on read.
 */
export const MidiSongSchema = z.strictObject({
  ppq: z.number().int().min(1).max(0x7fff),
  tempoBpm: z.number().min(MIDI_MIN_BPM).max(MIDI_MAX_BPM),
  tracks: z.array(MidiTrackSchema).max(MIDI_MAX_TRACKS),
});
export type MidiSong = z.infer<typeof MidiSongSchema>;
