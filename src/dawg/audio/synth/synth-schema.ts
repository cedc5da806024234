import { z } from 'zod';

/**
 * Bounds that keep one render affordable. The caps are about cost, not musical sense: a
 * render past them would take minutes of CPU and hundreds of MB, so it is refused up front.
 */
export const SYNTH_LIMITS = Object.freeze({
  minBpm: 20,
  maxBpm: 400,
  minSampleRate: 8_000,
  maxSampleRate: 192_000,
  maxNotesPerTrack: 100_000,
  maxTracks: 64,
  maxTailSeconds: 30,
  /** Last note-off plus tail, in seconds. */
  maxSongSeconds: 20 * 60,
  /** Sum over one track's notes of gate + release time: bounds CPU where duration alone does not. */
  maxVoiceSecondsPerTrack: 20 * 60 * 32,
  maxUnisonVoices: 8,
});

export const WaveformSchema = z.enum(['sine', 'saw', 'square', 'triangle']);
export type Waveform = z.infer<typeof WaveformSchema>;

export const PresetNameSchema = z.enum(['bass', 'pad', 'lead', 'pluck', 'keys']);
export type PresetName = z.infer<typeof PresetNameSchema>;

const ms = z.number().min(0).max(20_000);
const unit = z.number().min(0).max(1);

/** Envelope times in milliseconds; sustain is a level in [0, 1] of the peak. */
export const AdsrSchema = z.strictObject({ attackMs: ms, decayMs: ms, sustain: unit, releaseMs: ms });
export type Adsr = z.infer<typeof AdsrSchema>;

/** The second oscillator, offset from the note by semitones and cents, mixed at `level`. */
export const Osc2Schema = z.strictObject({
  waveform: WaveformSchema,
  semitones: z.number().int().min(-36).max(36),
  detuneCents: z.number().min(-100).max(100),
  level: unit,
});
export type Osc2 = z.infer<typeof Osc2Schema>;

/** Copies of the oscillators spread over ±detuneCents and panned over ±spread. */
export const UnisonSchema = z.strictObject({
  voices: z.number().int().min(1).max(SYNTH_LIMITS.maxUnisonVoices),
  detuneCents: z.number().min(0).max(100),
  spread: unit,
});
export type Unison = z.infer<typeof UnisonSchema>;

/**
 * Resonant low-pass (12 dB/oct state-variable). The cutoff moves by `envAmountOctaves` at the
 * filter envelope's peak, follows the note by `keyTrack` (1 = one octave per octave) and drops
 * by up to `velocityOctaves` for soft notes.
 */
export const FilterSchema = z.strictObject({
  mode: z.enum(['lowpass', 'off']),
  cutoffHz: z.number().min(20).max(20_000),
  resonance: unit,
  envAmountOctaves: z.number().min(-8).max(8),
  keyTrack: unit,
  velocityOctaves: z.number().min(0).max(8),
});
export type Filter = z.infer<typeof FilterSchema>;

/** A fully specified subtractive voice: what a preset is and what a spec resolves to. */
export const VoiceParamsSchema = z.strictObject({
  waveform: WaveformSchema,
  osc2: Osc2Schema.nullable(),
  unison: UnisonSchema,
  noiseLevel: unit,
  amp: AdsrSchema,
  filter: FilterSchema,
  filterEnv: AdsrSchema,
  /** 0 = every note at full level, 1 = level proportional to velocity. */
  velocitySensitivity: unit,
  /** -1 = left, 1 = right (constant-power). */
  pan: z.number().min(-1).max(1),
  /** Linear output gain; presets leave headroom for a few overlapping notes. */
  gain: z.number().min(0).max(4),
});
export type VoiceParams = z.infer<typeof VoiceParamsSchema>;

/** A subtractive voice: a preset (or the plain default) with any group overridden field by field. */
export const SubtractiveSpecSchema = z.strictObject({
  type: z.literal('subtractive'),
  preset: PresetNameSchema.optional(),
  waveform: WaveformSchema.optional(),
  osc2: Osc2Schema.nullable().optional(),
  unison: UnisonSchema.partial().optional(),
  noiseLevel: unit.optional(),
  amp: AdsrSchema.partial().optional(),
  filter: FilterSchema.partial().optional(),
  filterEnv: AdsrSchema.partial().optional(),
  velocitySensitivity: unit.optional(),
  pan: z.number().min(-1).max(1).optional(),
  gain: z.number().min(0).max(4).optional(),
});
export type SubtractiveSpec = z.infer<typeof SubtractiveSpecSchema>;

/** General-MIDI drums, synthesised. */
export const DrumKitSpecSchema = z.strictObject({
  type: z.literal('drums'),
  gain: z.number().min(0).max(4).optional(),
  pan: z.number().min(-1).max(1).optional(),
});
export type DrumKitSpec = z.infer<typeof DrumKitSpecSchema>;

export const InstrumentSpecSchema = z.union(
  [z.enum([...PresetNameSchema.options, 'drums']), z.discriminatedUnion('type', [SubtractiveSpecSchema, DrumKitSpecSchema])],
  { error: "must be a preset name ('bass', 'pad', 'lead', 'pluck', 'keys'), 'drums', or an object with type 'subtractive' or 'drums'" },
);
export type InstrumentSpec = z.infer<typeof InstrumentSpecSchema>;

export const SynthNoteSchema = z.strictObject({
  pitch: z.number().int().min(0).max(127),
  velocity: z.number().int().min(1).max(127),
  startBeats: z.number().min(0),
  durationBeats: z.number().positive(),
});
export type SynthNote = z.infer<typeof SynthNoteSchema>;

export const SynthTrackSchema = z.strictObject({
  instrument: InstrumentSpecSchema,
  notes: z.array(SynthNoteSchema).max(SYNTH_LIMITS.maxNotesPerTrack),
  /** Varies the noise and unison phases; the same seed gives the same audio. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
});
export type SynthTrack = z.infer<typeof SynthTrackSchema>;

export const SynthSongSchema = z.array(SynthTrackSchema).max(SYNTH_LIMITS.maxTracks);

export const RenderOptionsSchema = z.strictObject({
  bpm: z.number().min(SYNTH_LIMITS.minBpm).max(SYNTH_LIMITS.maxBpm),
  sampleRate: z.number().int().min(SYNTH_LIMITS.minSampleRate).max(SYNTH_LIMITS.maxSampleRate),
  /**
   * Audio kept after the last note-off. Defaults to the instrument's own release (the longest
   * drum decay for drums); a shorter tail cuts the last release short.
   */
  tailSeconds: z.number().min(0).max(SYNTH_LIMITS.maxTailSeconds).optional(),
});
export type RenderOptions = z.infer<typeof RenderOptionsSchema>;
