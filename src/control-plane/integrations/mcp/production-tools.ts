import { z } from 'zod';
import { createdWorkflowSchema } from '../../http/agent-schemas';
import { catalogTrackId } from '../../catalog/catalog-service';
import { catalogTrackSchema } from '../../http/catalog.routes';
import { productionBody } from '../../agents/scenarios/production-scenario';
import { segment } from './control-plane-client';
import { defineTool } from './tool-definition';

const startedProduction = createdWorkflowSchema.extend({ jobId: z.string() });

/** The blueprint's scenario 1 from Claude Desktop: the same route as ChatGPT's produceTrack. */
export const produceTrackTool = defineTool({
  name: 'produce_track',
  title: 'Produce a track end to end',
  description:
    'Starts the production workflow: song concept → audio generation (offline composer; Suno/Udio when configured, which cost money) → ' +
    'MixingEngineer full mix → master to the platform loudness → QualityAssurance review (one re-master on failure) → publish to the music catalog. ' +
    'Answers a jobId at once; follow it with get_job: its result gives trackId, url, streamUrl, timeline and measured loudness.',
  input: productionBody,
  output: startedProduction,
  // It spends (provider credits when configured) and publishes: clients should confirm it.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  run: (body, { client, signal }) => client.call('POST', '/integrations/chatgpt/actions/creative/produce', startedProduction, { body, signal }),
  summary: (data) => `Production started: job ${data.jobId} (steps ${Object.keys(data.taskIds).join(' → ')}). Poll it with get_job.`,
});

export const getCatalogTrackTool = defineTool({
  name: 'get_catalog_track',
  title: 'Get a published track',
  description: 'A track of the music catalog: title, genre, tempo, key, duration, format, measured loudness (LUFS), true peak, and its stream and download URLs.',
  input: z.strictObject({ id: catalogTrackId.describe('The trackId a production answered (e.g. neon-dreams-20261205-3fa91c)') }),
  output: catalogTrackSchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  fields: { 'params.id': 'id' },
  run: ({ id }, { client, signal }) => client.call('GET', `/catalog/tracks/${segment(id)}`, catalogTrackSchema, { signal }),
  summary: (t) => `${t.title} (${t.id}): ${t.format}, ${t.durationSeconds} s, ${t.analytics.lufs ?? '?'} LUFS, true peak ${t.analytics.peakDb ?? '?'} dBTP; stream ${t.streamUrl}`,
});
