import { z } from 'zod';

/** A stored file's id: `f_` and a UUID, so it is never a path and never guessable from another. */
export const FILE_ID = /^f_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const fileIdSchema = z.string().regex(FILE_ID, 'must be a file id (f_…)');

/**
 * Where a client of Jarvis downloads a stored file: the control plane's audio route, which is
 * what the actions answer as `url` (the DAWG's own `/api/v1/files/:id` is behind the service
 * token, which no client has).
 */
export function fileUrl(id: string): string {
  return `/api/v1/audio/files/${id}`;
}
