import { createHash } from 'node:crypto';

/** sha256 hex of a text: the key of the embedding cache and of exact-duplicate checks. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
