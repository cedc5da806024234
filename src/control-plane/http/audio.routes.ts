import { pipeline } from 'node:stream/promises';
import express, { type Response } from 'express';
import { z } from 'zod';
import { InvalidError } from '../../common/errors';
import { parseInput, wholeNumberFromText } from '../../common/validation';
import { filePageSchema, storedFileSchema, waveformSchema, type ModuleRouter } from '../dawg-client';
import { ownerFilter, principalOf, requestIdOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
const fileParams = z.object({ id: z.string().regex(/^f_[0-9a-f-]{36}$/, 'must be a file id (f_…)') }).strict();
const listFilesQuery = z.strictObject({
  limit: wholeNumberFromText().min(1).max(200).default(50).describe('Files per page, 1–200'),
  before: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextBefore of a previous page')
    .optional()
    .describe('Cursor: the nextBefore of the previous page (older files)'),
});
const waveformQuery = z.strictObject({
  points: wholeNumberFromText().min(50).max(4_000).default(800).describe('Waveform buckets, 50–4000'),
});

export const audioRoutes = {
  upload: {
    method: 'post',
    path: '/api/v1/audio/files',
    operationId: 'uploadAudioFile',
    summary: 'Upload a WAV file (body: the file, Content-Type: audio/wav); it is measured and stored',
    description:
      'Optional header X-File-Name. Answers 201 with the file id and its analysis (LUFS, LRA, peaks, width, correlation, format). ' +
      'Not a usable WAV: 400 naming the problem. Use the id in music tracks and creative.master-track.',
    tier: 'integration',
    tag: 'audio',
    responses: { 201: { description: 'Stored', schema: storedFileSchema }, 400: { description: 'Not a usable WAV file' }, 413: { description: 'Larger than AUDIO_UPLOAD_LIMIT' } },
  },
  list: {
    method: 'get',
    path: '/api/v1/audio/files',
    operationId: 'listAudioFiles',
    summary: 'Stored audio files (uploads, mixes, masters), newest first, with their analysis',
    description: 'Page with before=nextBefore.',
    tier: 'integration',
    tag: 'audio',
    query: listFilesQuery,
    responses: { 200: { description: 'One page of files', schema: filePageSchema } },
  },
  waveform: {
    method: 'get',
    path: '/api/v1/audio/files/:id/waveform',
    operationId: 'getAudioWaveform',
    summary: 'A stored WAV’s waveform (min/max per bucket) and short-term loudness curve, for drawing a track',
    description:
      'Also its integrated loudness (LUFS) and true peak (dBTP). Computed on the AI DAWG’s audio workers and cached there per (file, points).',
    tier: 'integration',
    tag: 'audio',
    params: fileParams,
    query: waveformQuery,
    responses: {
      200: { description: 'The waveform', schema: waveformSchema },
      404: { description: 'No such file' },
      415: { description: 'The stored file is not a WAV' },
    },
  },
  meta: {
    method: 'get',
    path: '/api/v1/audio/files/:id/meta',
    operationId: 'getAudioFileMeta',
    summary: 'A stored audio file’s record and analysis',
    tier: 'integration',
    tag: 'audio',
    params: fileParams,
    responses: { 200: { description: 'The record', schema: storedFileSchema }, 404: { description: 'No such file' } },
  },
  download: {
    method: 'get',
    path: '/api/v1/audio/files/:id',
    operationId: 'downloadAudioFile',
    summary: 'Download a stored audio file (uploads, mixes, masters); byte ranges supported for players',
    description:
      'Streamed from the AI DAWG as it reads the file. Range requests answer 206 with Content-Range (416 when unsatisfiable); ' +
      'the ETag is the content hash, so If-None-Match answers 304 and If-Range resumes only the same bytes.',
    tier: 'integration',
    tag: 'audio',
    params: fileParams,
    responses: {
      200: { description: 'The bytes, audio/wav' },
      206: { description: 'The requested byte range' },
      304: { description: 'Not modified (If-None-Match matched the ETag)' },
      404: { description: 'No such file' },
      416: { description: 'The range lies outside the file' },
    },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/audio/files/:id',
    operationId: 'deleteAudioFile',
    summary: 'Delete a stored audio file (projects that use it can no longer render)',
    description:
      'Every key may list, read and use every stored file; only the key that stored it (its createdBy) or an admin key may delete it. ' +
      'Files stored by agents for the system (createdBy agent:<name>) and older files without createdBy: admin only.',
    tier: 'integration',
    tag: 'audio',
    consequential: true,
    params: fileParams,
    responses: { 204: { description: 'Deleted' }, 403: { description: 'Stored by another caller: only its creator or an admin key may delete it' }, 404: { description: 'No such file' } },
  },
} satisfies Record<string, RouteSpec>;

/** The caller's headers a download passes to the DAWG, and the DAWG's it passes back (ranges and validators). */
const FORWARDED_REQUEST_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since'] as const;
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified', 'content-disposition', 'x-content-sha256'] as const;

/** Aborted when the caller goes away before the answer: the DAWG call (and its worker task) is cancelled with it. */
function untilClientLeaves(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on('close', () => res.writableFinished || gone.abort());
  return gone.signal;
}

/** Audio files live in the AI DAWG's file store; these routes carry them through the gateway. */
export function mountAudioRoutes(mount: Mount, deps: { moduleRouter: ModuleRouter; uploadLimit: string }): void {
  const raw = express.raw({ type: WAV_TYPES, limit: deps.uploadLimit });
  mount(audioRoutes.upload, (req, res, next) => {
    raw(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (!Buffer.isBuffer(req.body)) {
        return next(new InvalidError('Send the WAV file as the request body with Content-Type: audio/wav', { issues: [{ field: 'headers.content-type', message: `must be one of ${WAV_TYPES.join(', ')}` }] }));
      }
      deps.moduleRouter
        .uploadFile(req.body, req.get('x-file-name') ?? 'upload.wav', { requestId: requestIdOf(res), actor: principalOf(res)?.id })
        .then((stored) => res.status(201).json(stored), next);
    });
  });
  mount(audioRoutes.list, async (req, res) => {
    const query = parseInput(listFilesQuery, req.query, 'query');
    res.json(await deps.moduleRouter.listFiles(query, { requestId: requestIdOf(res) }));
  });
  mount(audioRoutes.waveform, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const { points } = parseInput(waveformQuery, req.query, 'query');
    res.json(await deps.moduleRouter.waveform(id, points, { requestId: requestIdOf(res), signal: untilClientLeaves(res) }));
  });
  mount(audioRoutes.meta, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    res.json(await deps.moduleRouter.fileMeta(id, { requestId: requestIdOf(res) }));
  });
  mount(audioRoutes.remove, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    await deps.moduleRouter.deleteFile(id, ownerFilter(principalOf(res)), { requestId: requestIdOf(res) });
    res.status(204).end();
  });
  mount(audioRoutes.download, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const conditional: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.get(name);
      if (value !== undefined) conditional[name] = value;
    }
    const file = await deps.moduleRouter.streamFile(id, conditional, { requestId: requestIdOf(res), signal: untilClientLeaves(res) });
    res.status(file.status);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = file.headers[name];
      if (value !== undefined) res.set(name, value);
    }
    if (req.method === 'HEAD' || file.status === 304) {
      // Nothing to send: close the DAWG's stream (its abort error is expected, not a failure).
      file.body.on('error', () => undefined);
      file.body.destroy();
      res.end();
      return;
    }
    // The bytes pass through as they come: a client that leaves ends the DAWG's stream, and a
    // DAWG stream that breaks ends the response (its status and length were already sent).
    try {
      await pipeline(file.body, res);
    } catch (err) {
      if (!res.writableFinished) res.destroy(err as Error);
    }
  });
}
