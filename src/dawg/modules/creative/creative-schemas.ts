import { z } from 'zod';
import { CALL_BUDGETS, SONG_PROVIDERS, STRATEGIES } from '../../../common/ai-routing';
import { compositionSchema } from '../../audio/compose/procedural-composer';
import { fileIdSchema } from '../../storage/file-store';
import { projectIdSchema } from '../../storage/project-store';

/*
 * The creative module's action parameters, apart from the actions so that the control plane
 * can validate and document the same objects (agent capabilities, ChatGPT actions) without
 * loading the actions themselves: one schema for both processes.
 */

/** The composition parameters, plus what only the action needs. */
export const generateAudioParams = compositionSchema
  .extend({
    title: z.string().trim().min(1).max(200).optional(),
    lyrics: z.string().max(10_000).optional(),
    provider: z
      .enum(SONG_PROVIDERS)
      .default('local')
      .describe('local: the offline composer; suno or udio: that service; auto: the AI router picks among the configured ones and falls back'),
    strategy: z.enum(STRATEGIES).optional().describe('With provider auto: how the router ranks the music models (default: the router\'s)'),
    budget: z.enum(CALL_BUDGETS).optional().describe('With provider auto: the most one generation may cost (low 0, medium $0.01, high $0.10)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const field of ['strategy', 'budget'] as const) {
      if (p[field] !== undefined && p.provider !== 'auto') ctx.addIssue({ code: 'custom', path: [field], message: `only applies with provider auto (the provider here is ${p.provider})` });
    }
  });

/** mixAudioTracks: stems in, one mixed (and optionally mastered) track out. */
export const mixTracksParams = z
  .object({
    fileIds: z.array(fileIdSchema).min(1).max(32),
    name: z.string().trim().min(1).max(200).default('mix'),
    targetLUFS: z.number().min(-40).max(0).default(-16),
    eqProfile: z.enum(['balanced', 'mastering-ready', 'warm', 'bright', 'vocal-presence', 'low-cut']).default('balanced'),
    compressionRatio: z.number().min(1).max(20).default(3),
    threshold: z.number().min(-60).max(0).default(-18),
    stereoWidth: z.number().min(0).max(200).default(100),
    reverbAmount: z.number().min(0).max(100).default(15),
    master: z.enum(['none', 'spotify', 'youtube', 'apple-music']).default('none'),
  })
  .strict();

/** masterAudio: a stored file or a project's mix, to a streaming loudness target. */
export const masterTrackParams = z
  .object({
    fileId: fileIdSchema.optional(),
    projectId: projectIdSchema.optional(),
    target: z.enum(['spotify', 'youtube', 'apple-music', 'custom']).default('spotify'),
    lufs: z.number().min(-40).max(-5).optional(),
    truePeak: z.number().min(-12).max(0).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.fileId === undefined) === (v.projectId === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.fileId === undefined ? 'fileId' : 'projectId'], message: 'give either fileId or projectId' });
    }
    if (v.target !== 'custom') return;
    if (v.lufs === undefined) ctx.addIssue({ code: 'custom', path: ['lufs'], message: 'is required when target is custom' });
    if (v.truePeak === undefined) ctx.addIssue({ code: 'custom', path: ['truePeak'], message: 'is required when target is custom' });
  });
