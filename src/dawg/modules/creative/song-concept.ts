import { createHash } from 'node:crypto';
import { z } from 'zod';
import { GENRES, type Genre } from '../../audio/compose/procedural-composer';

/*
 * The rules behind creative.song-concept: a concept read from the prompt that the local
 * composer renders as planned (same genre, tempo, key, bar count). Schemas here so that the
 * control plane validates a language model's concept against the same shape.
 */

const KEY = /^[A-G]#? (major|minor)$/;

export const songConceptParams = z.strictObject({
  prompt: z.string().trim().min(1).max(2_000),
  title: z.string().trim().min(1).max(200).optional(),
  genre: z.string().trim().min(1).max(64).optional().describe(`One of ${GENRES.join(', ')} (or a synonym such as retrowave, edm, rap, chill)`),
  mood: z.string().trim().min(1).max(100).optional(),
  duration: z.number().int().min(10).max(300).default(180).describe('Seconds (the composer renders 10–300)'),
  bpm: z.number().int().min(60).max(200).optional(),
  key: z.string().regex(KEY, 'must look like "A minor" or "F# major"').optional(),
});
export type SongConceptParams = z.output<typeof songConceptParams>;

export const songConceptSchema = z.object({
  title: z.string().min(1).max(200),
  genre: z.enum(GENRES),
  bpm: z.number().int().min(60).max(200),
  key: z.string().regex(KEY),
  mood: z.string().min(1).max(100),
  durationSeconds: z.number().int().min(10).max(300),
  structure: z.array(z.object({ section: z.string(), bars: z.number().int().positive(), startSeconds: z.number() })),
  theme: z.string().min(1).max(500),
  lyrics: z.string().nullable(),
  source: z.literal('rules'),
  notes: z.array(z.string()),
});
export type SongConcept = z.infer<typeof songConceptSchema>;

/** The composer's defaults per genre (procedural-composer STYLES), and a mood word each. */
const GENRE_DEFAULTS: Record<Genre, { bpm: number; mode: 'major' | 'minor'; mood: string }> = {
  synthwave: { bpm: 110, mode: 'minor', mood: 'nostalgic' },
  house: { bpm: 124, mode: 'minor', mood: 'euphoric' },
  'hip-hop': { bpm: 90, mode: 'minor', mood: 'confident' },
  ambient: { bpm: 70, mode: 'major', mood: 'calm' },
  rock: { bpm: 120, mode: 'major', mood: 'energetic' },
  pop: { bpm: 105, mode: 'major', mood: 'uplifting' },
};

/** Words people use for the genres the composer knows, first match wins. */
const SYNONYMS: Array<[RegExp, Genre]> = [
  [/\b(synth-?wave|retro-?wave|outrun|80s synth|synth pop)\b/i, 'synthwave'],
  [/\b(house|edm|techno|dance)\b/i, 'house'],
  [/\b(hip[- ]?hop|rap|trap|boom ?bap|lo-?fi)\b/i, 'hip-hop'],
  [/\b(ambient|chill|drone|meditat\w*)\b/i, 'ambient'],
  [/\b(rock|punk|grunge|metal)\b/i, 'rock'],
  [/\bpop\b/i, 'pop'],
];
const MOODS = /\b(dark|dreamy|nostalgic|melancholic|moody|upbeat|happy|sad|calm|energetic|euphoric|aggressive|romantic|mysterious|uplifting|driving|chill|epic|hopeful|lonely)\b/gi;
const NOTES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

function titleFrom(prompt: string): { title: string; quoted: boolean } {
  const quoted = /['"“‘]([^'"”’]{1,200})['"”’]/.exec(prompt);
  if (quoted?.[1]?.trim()) return { title: quoted[1].trim(), quoted: true };
  const words = prompt
    .replace(/[^\p{L}\p{N} ]+/gu, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 2 && !/^(create|make|write|produce|track|song|called|named|with|and|the|for|about|please|that|mix|deploy)$/i.test(w))
    .slice(0, 3);
  const title = words.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join(' ');
  return { title: title || 'Untitled', quoted: false };
}

function genreFrom(text: string): Genre | undefined {
  const lower = text.toLowerCase();
  const exact = GENRES.find((g) => lower === g || lower.includes(g) || lower.includes(g.replace('-', ' ')));
  return exact ?? SYNONYMS.find(([re]) => re.test(text))?.[1];
}

/** Deterministic: the same parameters give the same concept. */
export function songConcept(p: SongConceptParams): SongConcept {
  const notes: string[] = [];
  const from = (field: string, how: 'given' | 'prompt' | 'default') => notes.push(`${field}: ${how === 'given' ? 'as given' : how === 'prompt' ? 'from the prompt' : 'default'}`);

  const named = titleFrom(p.prompt);
  const title = p.title ?? named.title;
  from('title', p.title ? 'given' : named.quoted ? 'prompt' : 'default');

  const asked = p.genre ? genreFrom(p.genre) : undefined;
  if (p.genre && !asked) notes.push(`genre "${p.genre}" is not one the composer plays (${GENRES.join(', ')}): read from the prompt instead`);
  const inPrompt = genreFrom(p.prompt);
  const genre: Genre = asked ?? inPrompt ?? 'pop';
  from('genre', asked ? 'given' : inPrompt ? 'prompt' : 'default');
  const style = GENRE_DEFAULTS[genre];

  const bpmInPrompt = /\b(\d{2,3})\s*bpm\b/i.exec(p.prompt);
  const promptBpm = bpmInPrompt ? Number(bpmInPrompt[1]) : undefined;
  const bpm = p.bpm ?? (promptBpm !== undefined && promptBpm >= 60 && promptBpm <= 200 ? promptBpm : style.bpm);
  from('bpm', p.bpm ? 'given' : bpm === promptBpm ? 'prompt' : 'default');

  const keyInPrompt = /\b([A-G])(#|♯|b|♭)?\s*(major|minor|maj|min)\b/i.exec(p.prompt);
  let key = p.key;
  if (!key && keyInPrompt) {
    const flat = keyInPrompt[2] === 'b' || keyInPrompt[2] === '♭';
    let index = NOTES.indexOf(keyInPrompt[1]!.toUpperCase()) + (keyInPrompt[2] && !flat ? 1 : 0) - (flat ? 1 : 0);
    index = (index + 12) % 12;
    key = `${NOTES[index]} ${/^min/i.test(keyInPrompt[3]!) ? 'minor' : 'major'}`;
  }
  const fromPrompt = !p.key && key !== undefined;
  if (!key) {
    // A stable root from the prompt, in the genre's mode (the composer would pick one the same way).
    const root = createHash('sha256').update(p.prompt).digest().readUInt8(0) % 12;
    key = `${NOTES[root]} ${style.mode}`;
  }
  from('key', p.key ? 'given' : fromPrompt ? 'prompt' : 'default');

  const moodWords = [...new Set((p.prompt.match(MOODS) ?? []).map((m) => m.toLowerCase()))];
  const mood = p.mood ?? (moodWords.length ? moodWords.slice(0, 2).join(', ') : style.mood);
  from('mood', p.mood ? 'given' : moodWords.length ? 'prompt' : 'default');

  // What the composer renders: round(duration · bpm / 240) bars (at least 2), an intro of two
  // bars without lead, the theme, and a sparser last bar.
  const bars = Math.max(2, Math.round((p.duration * bpm) / 240));
  const barSeconds = 240 / bpm;
  const sections: Array<[string, number]> = bars >= 4 ? [['intro', 2], ['theme', bars - 3], ['outro', 1]] : [['theme', bars]];
  let start = 0;
  const structure = sections.map(([section, n]) => {
    const s = { section, bars: n, startSeconds: Math.round(start * barSeconds * 100) / 100 };
    start += n;
    return s;
  });
  const durationSeconds = Math.round(bars * barSeconds);
  if (durationSeconds !== p.duration) notes.push(`duration: ${p.duration} s rounded to ${bars} whole bars (${durationSeconds} s)`);

  const theme = `${title}: a ${mood} ${genre} piece in ${key} at ${bpm} BPM, after "${p.prompt.slice(0, 160)}${p.prompt.length > 160 ? '…' : ''}"`;
  return { title, genre, bpm, key, mood, durationSeconds: Math.min(300, Math.max(10, durationSeconds)), structure, theme: theme.slice(0, 500), lyrics: null, source: 'rules', notes };
}
