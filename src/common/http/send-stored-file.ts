import path from 'node:path';
import type { NextFunction, Response } from 'express';

export interface StoredFileOptions {
  /** Set only once the file is found, so a failure still answers JSON. */
  headers?: Record<string, string>;
  /** Express's weak ETag from size and time; off where the caller sets a strong one in `headers`. */
  etag?: boolean;
  /** The error for a file that is not there (its record names it, but the file is gone). */
  missing: () => Error;
}

/**
 * res.sendFile (send: byte ranges, If-Range, conditional GETs, Last-Modified) for a file at an
 * absolute path the server built itself. The directory is given as send's root, so its dot-file
 * check covers the file name only: with the whole path, a data directory under a dot directory
 * (~/.local/share/jarvis, /srv/.jarvis) answered 403 for every file. A failure before anything
 * was sent goes to `next`: `missing()` for a file that is not there, else send's own error.
 */
export function sendStoredFile(res: Response, next: NextFunction, file: string, options: StoredFileOptions): void {
  const { headers, etag } = options;
  res.sendFile(path.basename(file), { root: path.dirname(file), dotfiles: 'deny', ...(headers ? { headers } : {}), ...(etag === undefined ? {} : { etag }) }, (err?: Error & { code?: string }) => {
    if (!err || res.headersSent) return;
    next(err.code === 'ENOENT' ? options.missing() : err);
  });
}
