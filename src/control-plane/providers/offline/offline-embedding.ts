/**
 * A deterministic, dependency-free text embedding by feature hashing (the "hashing trick",
 * Weinberger et al. 2009). Features of a text:
 *   - each word (`w:`), and its light stem (`s:`, "mixing"/"mixed"/"mixes" → "mix");
 *   - each pair of neighbouring content-word stems (`b:`), so shared phrases count extra;
 *   - the character trigrams of each content word (`t:`), so plurals, typos and other
 *     inflections still overlap partly.
 * Weights are sublinear in the count (1 + ln tf), function words ("the", "is") weigh a tenth of
 * a word and give no stems, bigrams or trigrams, and each word's trigrams together weigh about
 * as much as the word. Every feature is hashed (FNV-1a, 32-bit, over UTF-16 code units: stable
 * across runs, platforms and Node versions) to one of `dimensions` slots with a hash-derived
 * sign, and the vector is L2-normalised.
 *
 * What it gives: cosine similarity measures *lexical* overlap. Texts sharing content words, stems
 * or phrases score well above unrelated ones (typically 0.3–0.8 against under 0.15), which is
 * enough for a memory that is recalled with the words it was stored with, and for the hybrid
 * recall that fuses it with full-text search.
 *
 * What it is not: a semantic model. Synonyms and paraphrases with no word in common score near
 * zero ("car" vs "automobile", "too loud" vs "turn it down"); word order counts only through
 * bigrams; there is no IDF beyond the function-word list; English stemming only. Vectors are
 * comparable only with other `offline-embed-v1` vectors of the same dimension, never with a
 * neural model's. Changing anything here changes every vector: give the model a new id then.
 */

const { imul, log, sqrt } = Math;

const STOPWORD_WEIGHT = 0.1;
const WORD_WEIGHT = 1;
const STEM_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.7;
/** Norm of one word's trigram block: trigrams share out this much, however long the word. */
const TRIGRAM_BLOCK = 0.7;

// Function words: they carry little meaning and would make every English text look alike.
const STOPWORDS = new Set(
  (
    'a an the and or but if then else of to in on at by for with from into onto about as is are was were be been being ' +
    'am do does did doing have has had having i me my mine we our ours you your yours he him his she her hers it its ' +
    'they them their theirs this that these those there here what which who whom whose when where why how can could ' +
    'should would will shall may might must not no nor so too very just also than s t d ll m re ve up out over some ' +
    'any all each more most such only own same other both few again once now please let us'
  ).split(' '),
);

// Longest suffix first; a stem keeps at least three letters.
const SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['ational', 'ate'], ['ization', 'ize'], ['fulness', 'ful'], ['iveness', 'ive'], ['ations', 'ate'], ['ation', 'ate'],
  ['ments', ''], ['ment', ''], ['ingly', ''], ['edly', ''], ['ings', ''], ['ing', ''], ['ies', 'y'], ['ied', 'y'],
  ['ed', ''], ['ly', ''],
];
const ES_PLURAL = /(?:s|x|z|ch|sh)es$/;
const DOUBLED_END = /([b-df-hj-km-np-rtv-z])\1$/;

/** A light English stemmer (inflections only), enough to let "mixing" meet "mixed". */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let s = word;
  const rule = SUFFIXES.find(([suffix]) => s.endsWith(suffix) && s.length - suffix.length >= 3);
  if (rule) s = s.slice(0, s.length - rule[0].length) + rule[1];
  else if (ES_PLURAL.test(s)) s = s.slice(0, -2);
  else if (s.endsWith('s') && !/(?:ss|us|is)$/.test(s)) s = s.slice(0, -1);
  // "running" → "runn" → "run", "stopped" → "stopp" → "stop"
  return rule && DOUBLED_END.test(s) ? s.slice(0, -1) : s;
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Feature → summed weight and occurrence count, so repeated features grow sublinearly. */
type Features = Map<string, { weight: number; count: number }>;

function add(features: Features, key: string, weight: number): void {
  const f = features.get(key);
  if (f) {
    f.weight += weight;
    f.count += 1;
  } else features.set(key, { weight, count: 1 });
}

function extract(text: string): Features {
  const features: Features = new Map();
  const tokens = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  let previous: string | undefined;
  for (const token of tokens) {
    if (STOPWORDS.has(token)) {
      add(features, `w:${token}`, STOPWORD_WEIGHT);
      continue;
    }
    const s = stem(token);
    add(features, `w:${token}`, WORD_WEIGHT);
    add(features, `s:${s}`, STEM_WEIGHT);
    // Bigrams skip over function words: "mix the vocals" and "mix vocals" share one.
    if (previous !== undefined && previous !== s) add(features, `b:${previous} ${s}`, BIGRAM_WEIGHT);
    previous = s;
    const padded = ` ${token} `;
    const trigrams = padded.length - 2;
    if (trigrams < 3) continue; // one- and two-letter words: the word feature says it all
    const weight = TRIGRAM_BLOCK / sqrt(trigrams);
    for (let i = 0; i < trigrams; i++) add(features, `t:${padded.slice(i, i + 3)}`, weight);
  }
  return features;
}

export function hashEmbedding(text: string, dimensions: number): number[] {
  const vector = new Float64Array(dimensions);
  for (const [key, { weight, count }] of extract(text)) {
    const hash = fnv1a32(key);
    // The sign comes from an independent hash, so colliding features tend to cancel rather
    // than pile up (the unbiased variant of the trick).
    const sign = (fnv1a32(`±${key}`) & 1) === 0 ? 1 : -1;
    const slot = hash % dimensions;
    vector[slot] = (vector[slot] ?? 0) + sign * (weight / count) * (1 + log(count));
  }
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = sqrt(sum);
  // Text without letters or digits has no features: a zero vector, similar to nothing.
  return Array.from(vector, (x) => (norm === 0 ? 0 : x / norm));
}
