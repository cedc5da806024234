import path from 'node:path';
import type { Response } from 'express';

export interface StoredFileOptions {
  /** Set only once the file is found, so a failure still answers JSON. */
  headers?: Record<string, string>;
  /** Express's weak ETag from size and time; off where the caller sets a strong one in `headers`. */
  etag?: boolean;
}

/**
 * res.sendFile (send: byte ranges, If-Range, conditional GETs, Last-Modified) for a file at an
 * absolute path the server built itself. The directory is given as send's root, so its dot-file
 * check covers the file name only: with the whole path, a data directory under a dot directory
 * (~/.local/share/jarvis, /srv/.jarvis) answered 403 for every file.
 */
export function sendStoredFile(res: Response, file: string, options: StoredFileOptions, done: (err?: Error & { code?: string }) => void): void {
  res.sendFile(path.basename(file), { root: path.dirname(file), dotfiles: 'deny', ...(options.headers ? { headers: options.headers } : {}), ...(options.etag === undefined ? {} : { etag: options.etag }) }, done);
}
