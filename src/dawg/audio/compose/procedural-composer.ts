import { createHash } from 'node:crypto';
import { z } from 'zod';

export const GENRES = ['synthwave', 'house', 'hip-hop', 'ambient', 'rock', 'pop'] as const;
export type Genre = (typeof GENRES)[number];
const NOTE_NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'] as const;

export const compositionSchema = z
  .object({
    prompt: z.string().trim().min(1).max(2_000),
    genre: z.enum(GENRES).optional(),
    mood: z.string().trim().min(1).max(100).optional(),
    duration: z.number().min(10).max(300).default(60),
    bpm: z.number().int().min(60).max(200).optional(),
    key: z
      .string()
      .regex(/^[A-G]#? (major|minor)$/, 'must look like "A minor" or "F# major"')
      .optional(),
  })
  .strict();
export type CompositionInput = z.input<typeof compositionSchema>;

interface GenreStyle {
  bpm: number;
  mode: 'major' | 'minor';
  fourOnTheFloor: boolean;
  bassEighths: boolean;
  lead: 'lead' | 'pluck' | 'keys';
}

const STYLES: Record<Genre, GenreStyle> = {
  synthwave: { bpm: 110, mode: 'minor', fourOnTheFloor: true, bassEighths: true, lead: 'lead' },
  house: { bpm: 124, mode: 'minor', fourOnTheFloor: true, bassEighths: false, lead: 'pluck' },
  'hip-hop': { bpm: 90, mode: 'minor', fourOnTheFloor: false, bassEighths: false, lead: 'keys' },
  ambient: { bpm: 70, mode: 'major', fourOnTheFloor: false, bassEighths: false, lead: 'keys' },
  rock: { bpm: 120, mode: 'major', fourOnTheFloor: false, bassEighths: true, lead: 'lead' },
  pop: { bpm: 105, mode: 'major', fourOnTheFloor: false, bassEighths: false, lead: 'pluck' },
};

/** Scale steps (semitones) and a four-chord loop (scale degrees) per mode. */
const SCALES = { major: [0, 2, 4, 5, 7, 9, 11], minor: [0, 2, 3, 5, 7, 8, 10] };
const PROGRESSIONS = { major: [0, 4, 5, 3], minor: [0, 5, 2, 6] };
const SAD = /\b(sad|dark|melanchol|moody|night|neon|noir|lonely)/i;

export interface Note {
  pitch: number;
  velocity: number;
  startBeats: number;
  durationBeats: number;
}

export interface Composition {
  genre: Genre;
  bpm: number;
  key: string;
  bars: number;
  /** Each part is a track for the synth: its instrument and notes. */
  parts: Array<{ name: string; instrument: 'drums' | 'bass' | 'pad' | 'lead' | 'pluck' | 'keys'; gainDb: number; pan: number; notes: Note[] }>;
}

/** A small seeded PRNG (mulberry32): the same prompt gives the same song. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickGenre(prompt: string): Genre {
  const lower = prompt.toLowerCase();
  return GENRES.find((g) => lower.includes(g.replace('-', ' ')) || lower.includes(g)) ?? 'pop';
}

/**
 * The `local` provider's composer: turns genre, bpm, key, mood and duration into a
 * four-part arrangement (drums, bass, chord pad, lead) following a four-chord loop, with an
 * intro without lead and a sparser final bar. Deterministic for a given input. It makes
 * plain, usable material offline; it is not a model of any style beyond these rules.
 */
export function compose(input: z.output<typeof compositionSchema>): Composition {
  const genre = input.genre ?? pickGenre(input.prompt);
  const style = STYLES[genre];
  const bpm = input.bpm ?? style.bpm;
  const seed = createHash('sha256').update(JSON.stringify(input)).digest().readUInt32LE(0);
  const random = prng(seed);
  const mode: 'major' | 'minor' = input.key ? (input.key.endsWith('minor') ? 'minor' : 'major') : SAD.test(`${input.mood ?? ''} ${input.prompt}`) ? 'minor' : style.mode;
  const rootName = input.key ? input.key.split(' ')[0]! : NOTE_NAMES[Math.floor(random() * 12)]!;
  const root = NOTE_NAMES.indexOf(rootName as (typeof NOTE_NAMES)[number]);
  const bars = Math.max(2, Math.round((input.duration * bpm) / 60 / 4));
  const scale = SCALES[mode];
  const degree = (d: number) => scale[((d % 7) + 7) % 7]! + 12 * Math.floor(d / 7);

  const drums: Note[] = [];
  const bass: Note[] = [];
  const pad: Note[] = [];
  const lead: Note[] = [];
  for (let bar = 0; bar < bars; bar++) {
    const start = bar * 4;
    const chord = PROGRESSIONS[mode][bar % 4]!;
    const last = bar === bars - 1;
    for (let beat = 0; beat < 4; beat++) {
      if (style.fourOnTheFloor || beat % 2 === 0) drums.push({ pitch: 36, velocity: 112, startBeats: start + beat, durationBeats: 0.5 });
      if (beat % 2 === 1) drums.push({ pitch: 38, velocity: 100, startBeats: start + beat, durationBeats: 0.5 });
      if (!last) for (const half of [0, 0.5]) drums.push({ pitch: 42, velocity: half ? 70 : 85, startBeats: start + beat + half, durationBeats: 0.25 });
    }
    const bassPitch = 36 + root + degree(chord) - (root + degree(chord) >= 12 ? 12 : 0);
    const step = style.bassEighths ? 0.5 : 1;
    for (let t = 0; t < 4; t += step) bass.push({ pitch: bassPitch, velocity: t % 1 ? 90 : 105, startBeats: start + t, durationBeats: step * 0.9 });
    for (const third of [0, 2, 4]) pad.push({ pitch: 60 + root + degree(chord + third) - 12, velocity: 70, startBeats: start, durationBeats: 4 });
    if (bar >= 2 && !last) {
      // A melody over the chord: chord tones on strong beats, scale steps between.
      for (let t = 0; t < 4; t += 0.5) {
        if (random() < 0.25) continue;
        const tone = t % 1 === 0 ? chord + [0, 2, 4][Math.floor(random() * 3)]! : chord + Math.floor(random() * 7);
        lead.push({ pitch: 72 + root + degree(tone) - 12, velocity: 80 + Math.floor(random() * 30), startBeats: start + t, durationBeats: 0.45 });
      }
    }
  }
  return {
    genre,
    bpm,
    key: `${rootName} ${mode}`,
    bars,
    parts: [
      { name: 'drums', instrument: 'drums', gainDb: -2, pan: 0, notes: drums },
      { name: 'bass', instrument: 'bass', gainDb: -3, pan: 0, notes: bass },
      { name: 'chords', instrument: 'pad', gainDb: -9, pan: -0.15, notes: pad },
      { name: 'lead', instrument: style.lead, gainDb: -7, pan: 0.2, notes: lead },
    ],
  };
}
