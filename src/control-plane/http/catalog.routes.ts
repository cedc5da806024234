import { z } from 'zod';
import { NotFoundError } from '../../common/errors';
import { parseInput, wholeNumberFromText } from '../../common/validation';
import { catalogTrackId, type CatalogService } from '../catalog/catalog-service';
import { waveformSchema } from '../dawg-client';
import type { Mount, RouteSpec } from './route-spec';
import { sendStoredFile } from '../../common/http/send-stored-file';

const trackParams = z.strictObject({ id: catalogTrackId });
const listQuery = z.strictObject({
  limit: wholeNumberFromText().min(1).max(200).default(50).describe('Tracks per page, 1–200'),
  before: z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be the nextBefore of a previous page').optional().describe('Cursor: nextBefore of the previous page'),
});
const streamQuery = z.strictObject({
  download: z.enum(['true', 'false']).default('false').describe('true: served as an attachment (Content-Disposition)'),
  // Checked (and consumed) by the media-link authentication before the route runs.
  link: z.string().optional().describe('A media link’s signature, in place of a key (POST /api/v1/media-links makes the whole URL)'),
});

export const catalogTrackSchema = z.object({
  id: z.string(),
  title: z.string(),
  genre: z.string().optional(),
  bpm: z.number().optional(),
  key: z.string().optional(),
  mood: z.string().optional(),
  durationSeconds: z.number(),
  format: z.string().describe('e.g. "WAV 24-bit 48kHz"'),
  sampleRate: z.number(),
  bitDepth: z.number().optional(),
  channels: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  analytics: z.object({
    lufs: z.number().nullable().describe('Integrated loudness (LUFS) measured on the published file'),
    peakDb: z.number().nullable().describe('True peak (dBTP)'),
    stereoWidth: z.number().describe('Stereo width (%)'),
    correlation: z.number(),
    loudnessRangeLu: z.number().nullable().optional(),
  }),
  url: z.string(),
  streamUrl: z.string(),
  downloadUrl: z.string(),
  waveformUrl: z.string(),
  s3: z.object({ uri: z.string(), approvalId: z.string().optional() }).optional(),
  sourceFileId: z.string(),
  taskId: z.string().optional(),
  workflowId: z.string().optional(),
  publishedAt: z.string(),
});

export const catalogRoutes = {
  list: {
    method: 'get',
    path: '/catalog/tracks',
    operationId: 'listCatalogTracks',
    summary: 'Published tracks of the music catalog, newest first',
    tier: 'integration',
    tag: 'catalog',
    query: listQuery,
    responses: { 200: { description: 'One page', schema: z.object({ tracks: z.array(catalogTrackSchema), nextBefore: z.string().nullable() }) } },
  },
  get: {
    method: 'get',
    path: '/catalog/tracks/:id',
    operationId: 'getCatalogTrack',
    summary: 'A published track: metadata, measured loudness and its stream and download URLs',
    tier: 'integration',
    tag: 'catalog',
    params: trackParams,
    responses: { 200: { description: 'The track', schema: catalogTrackSchema }, 404: { description: 'No such track' } },
  },
  stream: {
    method: 'get',
    path: '/catalog/tracks/:id/stream',
    operationId: 'streamCatalogTrack',
    summary: 'The published WAV (byte ranges supported for players; download=true for an attachment)',
    tier: 'integration',
    tag: 'catalog',
    params: trackParams,
    query: streamQuery,
    responses: { 200: { description: 'audio/wav' }, 206: { description: 'The requested byte range' }, 404: { description: 'No such track' } },
  },
  waveform: {
    method: 'get',
    path: '/catalog/tracks/:id/waveform',
    operationId: 'getCatalogTrackWaveform',
    summary: 'A published track’s waveform (800 buckets) and short-term loudness curve, measured when it was published',
    tier: 'integration',
    tag: 'catalog',
    params: trackParams,
    responses: { 200: { description: 'The waveform', schema: waveformSchema }, 404: { description: 'No such track' } },
  },
} satisfies Record<string, RouteSpec>;

/** The music catalog: published tracks are stored and served by the control plane. */
export function mountCatalogRoutes(mount: Mount, deps: { catalog: CatalogService }): void {
  mount(catalogRoutes.list, async (req, res) => {
    res.json(await deps.catalog.list(parseInput(listQuery, req.query, 'query')));
  });
  mount(catalogRoutes.get, async (req, res) => {
    const { id } = parseInput(trackParams, req.params, 'params');
    res.json(await deps.catalog.get(id));
  });
  mount(catalogRoutes.waveform, async (req, res) => {
    const { id } = parseInput(trackParams, req.params, 'params');
    res.json(await deps.catalog.waveform(id));
  });
  mount(catalogRoutes.stream, async (req, res, next) => {
    const { id } = parseInput(trackParams, req.params, 'params');
    const { download } = parseInput(streamQuery, req.query, 'query');
    const file = await deps.catalog.filePath(id);
    if (download === 'true') res.attachment(`${file.track.id}.wav`);
    res.set('x-content-sha256', file.track.sha256);
    // send's Range, If-Range and Last-Modified handling; the entry's hash as a strong ETag.
    sendStoredFile(res, next, file.path, {
      headers: { 'content-type': 'audio/wav', etag: `"${file.track.sha256}"` },
      etag: false,
      missing: () => new NotFoundError(`The audio of track ${id} is missing from the catalog directory`, undefined, 'TRACK_FILE_MISSING'),
    });
  });
}
