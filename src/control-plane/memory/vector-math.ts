/**
 * The few vector operations the memory layer needs. Math functions are bound once at module
 * level: these run in loops over thousands of floats per call.
 */
const { fround, sqrt } = Math;

export function l2Norm(vector: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    sum += x * x;
  }
  return sqrt(sum);
}

/**
 * Unit length, rounded to float32: what a `real[]` column stores, so a vector reads back from
 * the database (or the embedding cache) exactly as it was returned fresh. A zero vector stays zero.
 */
export function normalize(vector: readonly number[]): number[] {
  const norm = l2Norm(vector);
  const out = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = norm === 0 ? 0 : fround(vector[i]! / norm);
  return out;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Cosine similarity; 0 when either vector is zero (similar to nothing). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  const denominator = l2Norm(a) * l2Norm(b);
  return denominator === 0 ? 0 : dot(a, b) / denominator;
}

/**
 * A `real[]` read back from PostgreSQL arrives as the shortest decimal of each float32 ("0.8"),
 * which JavaScript parses to a different double than the float32 itself; this restores the
 * exact float32 values, so a stored vector compares equal to the one that was written.
 */
export function fromReal(values: readonly number[]): number[] {
  return values.map((x) => fround(x));
}

/** pgvector's text form, `[0.1,0.2,…]`, for a `$n::vector(d)` parameter. */
export function toVectorLiteral(vector: readonly number[]): string {
  return `[${vector.join(',')}]`;
}
