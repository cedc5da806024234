import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ForbiddenError, InvalidError, NotFoundError } from '../../common/errors';
import { writeFileAtomic } from '../../common/atomic-file';
import { FILE_ID } from './file-id';
import { pageOfFiles, type FileCursor, type FilePage } from './file-page';

export { FILE_ID, fileIdSchema, fileUrl } from './file-id';

/** Metadata files read at once while listing: enough to keep the disk busy, few enough to stay far from the fd limit. */
const LIST_READ_CONCURRENCY = 32;

export const storedFileSchema = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  createdAt: z.string(),
  /** What the audio engine measured when the file was stored, if it is audio. */
  audio: z.record(z.string(), z.unknown()).optional(),
  /**
   * Who stored it: the API key id (or `agent:<name>`) the upload or action ran for, as the
   * control plane sent it. Absent on files stored before this was recorded, or by a direct
   * DAWG call that named no caller; only an admin may delete those through the gateway.
   */
  createdBy: z.string().optional(),
});
export type StoredFile = z.infer<typeof storedFileSchema>;

export interface FileStoreOptions {
  dir: string;
  /** Largest file accepted, in bytes. */
  maxBytes: number;
}

/**
 * Audio files (uploads, renders, masters) by id in the DAWG's data directory. Each file is two
 * entries written atomically: `<id>.bin` first, then `<id>.json` (its metadata), so a file
 * whose metadata exists is complete; a crash in between leaves only an orphan .bin, which
 * `list` ignores.
 */
export class FileStore {
  constructor(private readonly options: FileStoreOptions) {}

  async init(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
  }

  private pathOf(id: string, ext: 'bin' | 'json'): string {
    if (!FILE_ID.test(id)) throw new InvalidError(`Invalid file id "${id}"`, { issues: [{ field: 'fileId', message: 'must be a file id (f_…)' }] });
    return path.join(this.options.dir, `${id}.${ext}`);
  }

  async put(data: Uint8Array, meta: { name: string; contentType: string; audio?: Record<string, unknown>; createdBy?: string }): Promise<StoredFile> {
    if (data.byteLength === 0) throw new InvalidError('The file is empty', { issues: [{ field: 'file', message: 'must not be empty' }] });
    if (data.byteLength > this.options.maxBytes) {
      throw new InvalidError(`The file is larger than ${this.options.maxBytes} bytes`, { issues: [{ field: 'file', message: `must be at most ${this.options.maxBytes} bytes` }] });
    }
    const stored: StoredFile = {
      id: `f_${randomUUID()}`,
      name: meta.name,
      contentType: meta.contentType,
      bytes: data.byteLength,
      sha256: createHash('sha256').update(data).digest('hex'),
      createdAt: new Date().toISOString(),
      ...(meta.audio ? { audio: meta.audio } : {}),
      ...(meta.createdBy ? { createdBy: meta.createdBy } : {}),
    };
    await writeFileAtomic(this.pathOf(stored.id, 'bin'), data);
    await writeFileAtomic(this.pathOf(stored.id, 'json'), JSON.stringify(stored));
    return stored;
  }

  async meta(id: string): Promise<StoredFile> {
    try {
      return storedFileSchema.parse(JSON.parse(await readFile(this.pathOf(id, 'json'), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`File not found: ${id}`, undefined, 'FILE_NOT_FOUND');
      throw err;
    }
  }

  /** The record and where its bytes are, for serving them from disk (ranges included) without reading them here. */
  async locate(id: string): Promise<{ meta: StoredFile; path: string }> {
    return { meta: await this.meta(id), path: this.pathOf(id, 'bin') };
  }

  async get(id: string): Promise<{ meta: StoredFile; data: Buffer }> {
    const meta = await this.meta(id);
    return { meta, data: await readFile(this.pathOf(id, 'bin')) };
  }

  async list(): Promise<StoredFile[]> {
    const names = await readdir(this.options.dir);
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).filter((id) => FILE_ID.test(id));
    const metas = await Promise.all(ids.map((id) => this.meta(id).catch(() => undefined)));
    return metas.filter((m): m is StoredFile => m !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * One page of stored files, newest first, with the cursor of the next. Every metadata file
   * is read (ids are random, so nothing on disk is in creation order): fine for the thousands
   * of files a DAWG holds. A file deleted while the page is read is left out; any other
   * unreadable metadata is an error rather than a file that silently disappears from lists.
   */
  async page(query: { limit: number; before?: FileCursor }): Promise<FilePage<StoredFile>> {
    const names = await readdir(this.options.dir);
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).filter((id) => FILE_ID.test(id));
    const metas: StoredFile[] = [];
    for (let i = 0; i < ids.length; i += LIST_READ_CONCURRENCY) {
      const batch = await Promise.all(ids.slice(i, i + LIST_READ_CONCURRENCY).map((id) => this.meta(id).catch(skipIfGone)));
      for (const meta of batch) if (meta !== undefined) metas.push(meta);
    }
    return pageOfFiles(metas, query.limit, query.before);
  }

  /**
   * Metadata goes first: from then on the file no longer exists for readers. With `ownedBy`,
   * only a file stored by that caller is deleted; any other answers 403 and stays.
   */
  async remove(id: string, ownedBy?: string): Promise<void> {
    const meta = await this.meta(id);
    if (ownedBy !== undefined && meta.createdBy !== ownedBy) {
      throw new ForbiddenError(`File ${id} was stored by another caller: only its creator or an admin API key may delete it`, { field: 'params.id' });
    }
    await rm(this.pathOf(id, 'json'), { force: true });
    await rm(this.pathOf(id, 'bin'), { force: true });
  }
}

function skipIfGone(err: unknown): undefined {
  if (err instanceof NotFoundError) return undefined;
  throw err;
}
