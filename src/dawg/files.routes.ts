import express, { type Express, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { InvalidError, NotFoundError } from '../common/errors';
import { sendStoredFile } from '../common/http/send-stored-file';
import { parseInput, wholeNumberFromText } from '../common/validation';
import { ACTOR_HEADER, actorId } from '../common/protocol';
import { optionalActorHeader } from './actor-headers';
import { TrackWaveforms } from './audio/track-waveforms';
import { WAVEFORM_POINTS } from './audio/waveform';
import type { AudioWorkerPool } from './audio/worker';
import { FILE_PAGE_LIMIT, fileCursorSchema, fileIdSchema, type FileStore } from './storage';

const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
const fileParams = z.object({ id: fileIdSchema }).strict();
const listQuery = z.strictObject({
  limit: wholeNumberFromText().min(1).max(FILE_PAGE_LIMIT.max).default(FILE_PAGE_LIMIT.default),
  before: fileCursorSchema.optional(),
});
const waveformQuery = z.strictObject({
  points: wholeNumberFromText().min(WAVEFORM_POINTS.min).max(WAVEFORM_POINTS.max).default(WAVEFORM_POINTS.default),
});
/** `ownedBy`: delete only if the file was stored by this caller (the control plane sends it for non-admin keys). */
const deleteQuery = z.strictObject({ ownedBy: actorId.optional() });
const SAFE_NAME = /^[\w .()-]{1,200}$/;

/** Aborted when the client goes away before the answer, so its audio task (and worker) stops instead of running on. */
function untilClientLeaves(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on('close', () => res.writableFinished || gone.abort());
  return gone.signal;
}

/**
 * The DAWG's audio file endpoints: WAV upload (validated and measured by an audio worker
 * before it is stored, so nothing unusable is kept), listing, download, metadata and
 * waveforms (computed by an audio worker). Behind the service token like the rest.
 */
export function mountFileRoutes(app: Express, auth: RequestHandler, files: FileStore, audio: AudioWorkerPool, uploadLimit: string): void {
  const raw = express.raw({ type: WAV_TYPES, limit: uploadLimit });
  // Built here rather than in main: its only state is a cache of what these routes answered.
  const waveforms = new TrackWaveforms({ files, audio, wavTypes: WAV_TYPES });

  app.post('/api/v1/files', auth, raw, async (req, res) => {
    if (!Buffer.isBuffer(req.body)) {
      throw new InvalidError('Send the WAV file as the request body with Content-Type: audio/wav', {
        issues: [{ field: 'headers.content-type', message: `must be one of ${WAV_TYPES.join(', ')}` }],
      });
    }
    const name = req.get('x-file-name') ?? 'upload.wav';
    if (!SAFE_NAME.test(name)) throw new InvalidError('Invalid file name', { issues: [{ field: 'headers.x-file-name', message: 'letters, digits, space, . ( ) - _ only, at most 200' }] });
    // The body moves to the worker and back with its analysis: req.body is detached afterwards.
    const actor = optionalActorHeader(req, ACTOR_HEADER);
    const { bytes, analysis } = await audio.analyzeWav(req.body, untilClientLeaves(res));
    const stored = await files.put(bytes, { name, contentType: 'audio/wav', audio: { ...analysis }, createdBy: actor });
    res.status(201).location(`/api/v1/files/${stored.id}`).json(stored);
  });

  app.get('/api/v1/files', auth, async (req, res) => {
    res.json(await files.page(parseInput(listQuery, req.query, 'query')));
  });

  app.get('/api/v1/files/:id/waveform', auth, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const { points } = parseInput(waveformQuery, req.query, 'query');
    res.json(await waveforms.get(id, points, untilClientLeaves(res)));
  });

  app.get('/api/v1/files/:id/meta', auth, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    res.json(await files.meta(id));
  });

  app.delete('/api/v1/files/:id', auth, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const { ownedBy } = parseInput(deleteQuery, req.query, 'query');
    await files.remove(id, ownedBy);
    res.status(204).end();
  });

  // Served from disk by send: byte ranges (206, 416), If-Range and If-None-Match (304) against
  // the content hash as a strong ETag; never read whole into memory.
  app.get('/api/v1/files/:id', auth, async (req, res, next) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const { meta, path } = await files.locate(id);
    const headers = {
      'content-type': meta.contentType,
      'content-disposition': `attachment; filename="${meta.name.replace(/"/g, '')}"`,
      'x-content-sha256': meta.sha256,
      etag: `"${meta.sha256}"`,
    };
    sendStoredFile(res, next, path, { headers, etag: false, missing: () => new NotFoundError(`File not found: ${id}`, undefined, 'FILE_NOT_FOUND') });
  });
}
