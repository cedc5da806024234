import { z } from 'zod';
import { FILE_ID } from './file-id';

/**
 * A position in the listing order: a file's creation time and id (ties on createdAt are broken
 * by id). A page's cursor is its last file's.
 */
export interface FileCursor {
  createdAt: string;
  id: string;
}

export interface FilePage<T extends FileCursor> {
  files: T[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

export const FILE_PAGE_LIMIT = { default: 50, max: 200 } as const;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SEPARATOR = '|';

/**
 * The cursor is opaque to clients (base64url of `createdAt|id`) so the order key can change
 * without breaking their code, and it names a position rather than a file, so deleting the
 * file a page ended on does not break the next page.
 */
export function encodeFileCursor(file: FileCursor): string {
  return Buffer.from(`${file.createdAt}${SEPARATOR}${file.id}`, 'utf8').toString('base64url');
}

export function decodeFileCursor(cursor: string): FileCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(SEPARATOR);
  if (rest.length > 0 || createdAt === undefined || id === undefined) return undefined;
  return ISO_INSTANT.test(createdAt) && FILE_ID.test(id) ? { createdAt, id } : undefined;
}

/** A `before` query parameter: a cursor from a previous page, decoded; anything else is a 400 naming the field. */
export const fileCursorSchema = z.string().transform((value, ctx) => {
  const cursor = decodeFileCursor(value);
  if (cursor === undefined) {
    ctx.issues.push({ code: 'custom', input: value, message: 'must be the nextBefore of a previous page' });
    return z.NEVER;
  }
  return cursor;
});

/** Newest first; files created in the same millisecond by id, descending, so the order is total. */
export function newestFirst(a: FileCursor, b: FileCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** One page of `files` (in any order): at most `limit` of them, newest first, all older than `before`. */
export function pageOfFiles<T extends FileCursor>(files: readonly T[], limit: number, before?: FileCursor): FilePage<T> {
  const older = before ? files.filter((f) => newestFirst(f, before) > 0) : [...files];
  older.sort(newestFirst);
  const page = older.slice(0, limit);
  const last = page[page.length - 1];
  return { files: page, nextBefore: older.length > limit && last ? encodeFileCursor(last) : null };
}
