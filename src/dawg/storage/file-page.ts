import { z } from 'zod';
import { FILE_ID } from './file-id';

/**
 * A position in a newest-first listing (stored files, rendered dashboards): a record's creation
 * time and id (ties on createdAt are broken by id). A page's cursor is its last record's.
 */
export interface PageCursor {
  createdAt: string;
  id: string;
}
export type FileCursor = PageCursor;

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
 * without breaking their code, and it names a position rather than a record, so deleting the
 * record a page ended on does not break the next page.
 */
export function encodeCursor(position: PageCursor): string {
  return Buffer.from(`${position.createdAt}${SEPARATOR}${position.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, idPattern: RegExp): PageCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(SEPARATOR);
  if (rest.length > 0 || createdAt === undefined || id === undefined) return undefined;
  return ISO_INSTANT.test(createdAt) && idPattern.test(id) ? { createdAt, id } : undefined;
}

/** A `before` query parameter for records whose ids match `idPattern`: decoded, or a 400 naming the field. */
export function cursorSchema(idPattern: RegExp) {
  return z.string().transform((value, ctx): PageCursor => {
    const cursor = decodeCursor(value, idPattern);
    if (cursor === undefined) {
      ctx.issues.push({ code: 'custom', input: value, message: 'must be the nextBefore of a previous page' });
      return z.NEVER;
    }
    return cursor;
  });
}

export const fileCursorSchema = cursorSchema(FILE_ID);

/** Newest first; records created in the same millisecond by id, descending, so the order is total. */
export function newestFirst(a: PageCursor, b: PageCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** One page of `items` (in any order): at most `limit` of them, newest first, all older than `before`. */
export function pageOf<T extends PageCursor>(items: readonly T[], limit: number, before?: PageCursor): { items: T[]; nextBefore: string | null } {
  const older = before ? items.filter((f) => newestFirst(f, before) > 0) : [...items];
  older.sort(newestFirst);
  const page = older.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, nextBefore: older.length > limit && last ? encodeCursor(last) : null };
}

export function pageOfFiles<T extends FileCursor>(files: readonly T[], limit: number, before?: FileCursor): FilePage<T> {
  const { items, nextBefore } = pageOf(files, limit, before);
  return { files: items, nextBefore };
}
