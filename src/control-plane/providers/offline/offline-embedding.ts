/**
 * A deterministic, dependency-free text embedding by feature hashing (the "hashing trick",
 * Weinberger et al. 2009): each word and each character trigram of a word is hashed (FNV-1a,
 * 32-bit) to one of `dimensions` slots with a hash-derived sign, and the vector is L2-normalised.
 *
 * What it is good for: a default so memory storage and search work with no provider
 * configured. Cosine similarity then measures *surface overlap*: shared words, shared word
 * pieces (so "mixing"/"mixed", typos and plurals still match partly).
 *
 * What it is not: a semantic model. Synonyms and paraphrases with different words score near
 * zero ("car" vs "automobile"); word order is ignored; very common words weigh as much as rare
 * ones (no IDF). Vectors are comparable only with other `offline-embed-v1` vectors of the same
 * dimension, never with a neural model's.
 */

const WORD_WEIGHT = 1;
const TRIGRAM_WEIGHT = 0.5;

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const hash = fnv1a32(feature);
  const slot = hash % vector.length;
  // The sign comes from a bit the slot does not use, so colliding features tend to cancel
  // rather than pile up (the unbiased variant of the trick).
  const sign = (fnv1a32(`±${feature}`) & 1) === 0 ? 1 : -1;
  vector[slot] = (vector[slot] ?? 0) + sign * weight;
}

export function hashEmbedding(text: string, dimensions: number): number[] {
  const vector = new Float64Array(dimensions);
  const tokens = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const token of tokens) {
    addFeature(vector, `w:${token}`, WORD_WEIGHT);
    const padded = ` ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) addFeature(vector, `t:${padded.slice(i, i + 3)}`, TRIGRAM_WEIGHT);
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  // Text without letters or digits has no features: a zero vector, similar to nothing.
  return Array.from(vector, (x) => (norm === 0 ? 0 : x / norm));
}
