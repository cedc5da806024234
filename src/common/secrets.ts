import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 digest; high-entropy tokens need no slow KDF, and a fixed length makes comparison constant-time. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time equality of two digests. Callers hash the presented secret and compare it
 * with the digest of the expected one (computed once), so neither the content nor the
 * length of the expected secret leaks through timing.
 */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Returns a constant-time check of presented values against one configured secret, hashing
 * the secret once rather than on every request.
 */
export function secretMatcher(secret: string): (presented: string) => boolean {
  const expected = sha256(secret);
  return (presented) => digestsEqual(sha256(presented), expected);
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
