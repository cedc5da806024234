import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../../../common/logger';
import { executeResponseSchema } from '../../../common/protocol';
import { jobParams, jobSchema } from '../../http/agent-schemas';
import { mapOutcome, segment, type CallFailure, type CallOutcome, type ControlPlaneClient } from './control-plane-client';

/** MCP's "resource not found" (the SDK has no constant for it). */
const RESOURCE_NOT_FOUND = -32002;
const JSON_MIME = 'application/json';

// The DAWG owns these ids and checks them again; here they only keep junk out of the URL.
const projectId = z.string().regex(/^p_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a project id (p_…)');
const fileId = z.string().regex(/^f_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a file id (f_…)');

const projectListAnswer = executeResponseSchema.extend({
  result: z.object({ projects: z.array(z.object({ id: z.string(), name: z.string(), sampleRate: z.number(), bpm: z.number(), tracks: z.number(), updatedAt: z.string() })) }),
});
const projectAnswer = executeResponseSchema.extend({
  result: z.looseObject({ id: z.string(), name: z.string(), sampleRate: z.number(), bpm: z.number(), tracks: z.array(z.looseObject({ id: z.string(), name: z.string() })) }),
});
/** GET /api/v1/audio/files/:id/meta: the record and its analysis (LUFS, peaks, format). */
const audioFileMeta = z.looseObject({ id: z.string(), name: z.string(), contentType: z.string(), bytes: z.number(), sha256: z.string(), createdAt: z.string() });

/** GET /api/v1/audio/files: the newest stored files. */
const audioFileList = z.looseObject({ files: z.array(z.looseObject({ id: z.string(), name: z.string(), createdAt: z.string() })) });
/** Files listed by resources/list: the newest; older ones stay readable by id. */
const LISTED_AUDIO_FILES = 50;

/** A failed read as a JSON-RPC error: resources have no error result, unlike tools. */
function readError(failure: CallFailure): McpError {
  const code = failure.status === 404 ? RESOURCE_NOT_FOUND : failure.status === 400 ? ErrorCode.InvalidParams : ErrorCode.InternalError;
  const hint = failure.hint ? ` (${failure.hint})` : '';
  return new McpError(code, `${failure.code}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.message}${hint}`, { code: failure.code, status: failure.status });
}

function variable(schema: z.ZodString, value: string | string[] | undefined, name: string): string {
  const parsed = schema.safeParse(Array.isArray(value) ? value[0] : value);
  if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function jsonContents<T>(uri: URL, outcome: CallOutcome<T>): ReadResourceResult {
  if (!outcome.ok) throw readError(outcome.failure);
  return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify(outcome.data, null, 2) }] };
}

const runMusic = <S extends z.ZodType>(client: ControlPlaneClient, action: string, params: Record<string, unknown>, schema: S, signal: AbortSignal) =>
  client.call('POST', '/api/v1/execute', schema, { body: { module: 'music', action, params }, signal, long: true });

/**
 * Jobs and tracks as MCP resources. Tracks live in the AI DAWG's music projects (each track an
 * audio file or MIDI part); stored audio files (uploads, generations, mixes, masters) have
 * records of their own, the newest listed.
 */
export function registerJarvisResources(server: McpServer, deps: { client: ControlPlaneClient; logger: Logger }): void {
  const { client, logger } = deps;

  server.registerResource(
    'job',
    new ResourceTemplate('jarvis://jobs/{jobId}', { list: undefined }),
    { title: 'Jarvis job', description: 'A task (tsk_…) or workflow (wf_…): status, result or error, events. The id comes from queue_agent_task.', mimeType: JSON_MIME },
    async (uri, variables, extra) => {
      const jobId = variable(jobParams.shape.jobId, variables.jobId, 'jobId');
      return jsonContents(uri, await client.call('GET', `/integrations/chatgpt/jobs/${segment(jobId)}`, jobSchema, { signal: extra.signal }));
    },
  );

  server.registerResource(
    'music-projects',
    'jarvis://music/projects',
    { title: 'Music projects', description: 'The AI DAWG\'s music projects (id, name, sample rate, bpm, number of tracks). Needs the DAWG running.', mimeType: JSON_MIME },
    async (uri, extra) => jsonContents(uri, mapOutcome(await runMusic(client, 'list-projects', {}, projectListAnswer, extra.signal), (answer) => answer.result)),
  );

  server.registerResource(
    'project-tracks',
    new ResourceTemplate('jarvis://music/projects/{projectId}/tracks', {
      // A DAWG that is down must not break resources/list for everything else: its failure is logged.
      list: async (extra) => {
        const outcome = await runMusic(client, 'list-projects', {}, projectListAnswer, extra.signal);
        if (!outcome.ok) {
          logger.warn('cannot list music projects for resources/list', { code: outcome.failure.code, status: outcome.failure.status });
          return { resources: [] };
        }
        return {
          resources: outcome.data.result.projects.map((p) => ({
            uri: `jarvis://music/projects/${p.id}/tracks`,
            name: `${p.name}: ${p.tracks} tracks`,
            mimeType: JSON_MIME,
          })),
        };
      },
    }),
    { title: 'Tracks of a music project', description: 'A project\'s tracks: source (audio file id or MIDI notes), gain, pan, mute/solo, plugins.', mimeType: JSON_MIME },
    async (uri, variables, extra) => {
      const id = variable(projectId, variables.projectId, 'projectId');
      const outcome = await runMusic(client, 'get-project', { projectId: id }, projectAnswer, extra.signal);
      return jsonContents(uri, mapOutcome(outcome, ({ result: p }) => ({ projectId: p.id, name: p.name, sampleRate: p.sampleRate, bpm: p.bpm, tracks: p.tracks })));
    },
  );

  server.registerResource(
    'audio-file',
    new ResourceTemplate('jarvis://audio-files/{fileId}', {
      list: async (extra) => {
        const outcome = await client.call('GET', '/api/v1/audio/files', audioFileList, { query: { limit: LISTED_AUDIO_FILES }, signal: extra.signal });
        if (!outcome.ok) {
          logger.warn('cannot list audio files for resources/list', { code: outcome.failure.code, status: outcome.failure.status });
          return { resources: [] };
        }
        return { resources: outcome.data.files.map((f) => ({ uri: `jarvis://audio-files/${f.id}`, name: f.name, mimeType: JSON_MIME })) };
      },
    }),
    { title: 'Stored audio file', description: `A stored audio file's record and analysis (loudness, peaks, format): uploads, generations, mixes, masters; the newest ${LISTED_AUDIO_FILES} are listed.`, mimeType: JSON_MIME },
    async (uri, variables, extra) => {
      const id = variable(fileId, variables.fileId, 'fileId');
      return jsonContents(uri, await client.call('GET', `/api/v1/audio/files/${segment(id)}/meta`, audioFileMeta, { signal: extra.signal }));
    },
  );
}
