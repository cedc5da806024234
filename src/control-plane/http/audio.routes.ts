import express from 'express';
import { z } from 'zod';
import { InvalidError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import type { ModuleRouter } from '../dawg-client';
import { requestIdOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'];
const fileParams = z.object({ id: z.string().regex(/^f_[0-9a-f-]{36}$/, 'must be a file id (f_…)') }).strict();
const storedFileSchema = z.object({
  id: z.string(),
  name: z.string(),
  contentType: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
  audio: z.record(z.string(), z.unknown()).optional(),
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
    summary: 'Download a stored audio file (uploads, mixes, masters)',
    tier: 'integration',
    tag: 'audio',
    params: fileParams,
    responses: { 200: { description: 'The bytes, audio/wav' }, 404: { description: 'No such file' } },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/audio/files/:id',
    operationId: 'deleteAudioFile',
    summary: 'Delete a stored audio file (projects that use it can no longer render)',
    tier: 'integration',
    tag: 'audio',
    params: fileParams,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such file' } },
  },
} satisfies Record<string, RouteSpec>;

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
        .uploadFile(req.body, req.get('x-file-name') ?? 'upload.wav', { requestId: requestIdOf(res) })
        .then((stored) => res.status(201).json(stored), next);
    });
  });
  mount(audioRoutes.meta, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    res.json(await deps.moduleRouter.fileMeta(id, { requestId: requestIdOf(res) }));
  });
  mount(audioRoutes.remove, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    await deps.moduleRouter.deleteFile(id, { requestId: requestIdOf(res) });
    res.status(204).end();
  });
  mount(audioRoutes.download, async (req, res) => {
    const { id } = parseInput(fileParams, req.params, 'params');
    const file = await deps.moduleRouter.downloadFile(id, { requestId: requestIdOf(res) });
    res.status(200).type(file.contentType);
    if (file.disposition) res.set('content-disposition', file.disposition);
    if (file.sha256) res.set('x-content-sha256', file.sha256);
    res.send(file.data);
  });
}
