import { z } from 'zod';
import { AppError } from '../../../common/errors';
import { BaseAgent } from '../base-agent';
import { capability, type CapabilityContext } from '../types';
import { generateAudioParams } from '../../../dawg/action-schemas';
import { runFullMix } from './mixing-engineer.agent';

const projectId = z.string().min(1).max(200);
const prompt = z.string().min(1).max(2000).describe('Song description or theme');
const label = z.string().min(1).max(64);
const targetLUFS = z.number().min(-40).max(0).default(-14).describe('Integrated loudness target (LUFS)');

/** Text only, nothing leaves the DAWG: safe to resume. */
const generateSongConcept = capability({
  name: 'generate-song-concept',
  description: 'Create song concept and production plan',
  requiredModules: ['creative', 'music'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: z.object({ prompt, genre: label.optional(), mood: label.optional() }).strict(),
  async run(p, ctx) {
    const concept = await ctx.call('creative', 'song-concept', {
      prompt: p.prompt,
      ...(p.genre === undefined ? {} : { genre: p.genre }),
      ...(p.mood === undefined ? {} : { mood: p.mood }),
    });
    return { concept };
  },
});

/** Maps the mixing pipeline's 0-100 onto [from, 100] of this task's progress. */
function withProgressRange(ctx: CapabilityContext, from: number): CapabilityContext {
  return {
    ...ctx,
    progress: (percent, message) => ctx.progress(Math.round(from + (percent * (100 - from)) / 100), message),
  };
}

/**
 * Concept, then generation into the project, then the MixingEngineer's full-mix pipeline:
 * a straight sequence until the workflow engine takes this over. Not resumable: generation
 * spends Suno/Udio credits and yields a different song each time.
 */
const coordinateProduction = capability({
  name: 'coordinate-production',
  description: 'Coordinate multi-agent music production',
  requiredModules: ['creative', 'music'],
  estimatedDuration: 600,
  timeoutMs: 1_200_000,
  resumable: false,
  payload: z
    .object({
      projectId,
      prompt,
      genre: label.optional(),
      mood: label.optional(),
      lyrics: z.string().min(1).max(10_000).optional(),
      duration: z.number().int().min(30).max(600).default(180).describe('Target duration (s)'),
      provider: z.enum(['suno', 'udio']).default('suno'),
      targetLUFS,
    })
    .strict(),
  async run(p, ctx) {
    const style = {
      ...(p.genre === undefined ? {} : { genre: p.genre }),
      ...(p.mood === undefined ? {} : { mood: p.mood }),
    };
    ctx.signal.throwIfAborted();
    const concept = await ctx.call('creative', 'song-concept', { prompt: p.prompt, ...style });
    ctx.progress(10, 'Concept ready');
    ctx.signal.throwIfAborted();
    const audio = await ctx.call('creative', 'audio-generation', {
      projectId: p.projectId,
      prompt: p.prompt,
      concept,
      ...style,
      ...(p.lyrics === undefined ? {} : { lyrics: p.lyrics }),
      duration: p.duration,
      provider: p.provider,
    });
    ctx.progress(40, 'Audio generated');
    const mix = await runFullMix({ projectId: p.projectId, targetLUFS: p.targetLUFS }, withProgressRange(ctx, 40));
    return { projectId: p.projectId, concept, audio, mix };
  },
});

/** The two figures the review needs from music.analyze; other fields are kept in `analysis`. */
const measurementSchema = z.object({ integratedLufs: z.number(), truePeakDbtp: z.number() });

/** Measures only, and judges here against the payload's targets: safe to resume. */
const qualityReview = capability({
  name: 'quality-review',
  description: 'Review and approve creative output',
  requiredModules: ['creative', 'music'],
  estimatedDuration: 45,
  timeoutMs: 90_000,
  resumable: true,
  payload: z
    .object({
      projectId,
      targetLUFS,
      lufsTolerance: z.number().min(0).max(6).default(1).describe('Allowed deviation from targetLUFS (LU)'),
      /** -1 dBTP leaves headroom for lossy encoding on streaming platforms. */
      maxTruePeakDbtp: z.number().min(-9).max(0).default(-1),
    })
    .strict(),
  async run(p, ctx) {
    const analysis = await ctx.call('music', 'analyze', { projectId: p.projectId });
    const measured = measurementSchema.safeParse(analysis);
    if (!measured.success) {
      throw new AppError(502, 'DAWG_BAD_RESPONSE', 'music.analyze did not report integratedLufs and truePeakDbtp', {
        issues: measured.error.issues,
      });
    }
    const { integratedLufs, truePeakDbtp } = measured.data;
    const issues: string[] = [];
    if (Math.abs(integratedLufs - p.targetLUFS) > p.lufsTolerance) {
      issues.push(`Loudness ${integratedLufs} LUFS is outside ${p.targetLUFS} ± ${p.lufsTolerance} LUFS`);
    }
    if (truePeakDbtp > p.maxTruePeakDbtp) {
      issues.push(`True peak ${truePeakDbtp} dBTP exceeds ${p.maxTruePeakDbtp} dBTP`);
    }
    return {
      projectId: p.projectId,
      approved: issues.length === 0,
      issues,
      measured: { integratedLufs, truePeakDbtp },
      targets: { targetLUFS: p.targetLUFS, lufsTolerance: p.lufsTolerance, maxTruePeakDbtp: p.maxTruePeakDbtp },
      analysis,
    };
  },
});

const generateAudio = capability({
  name: 'generate-audio',
  description: 'Generate a track from a prompt (local composer offline; Suno or Udio when configured)',
  requiredModules: ['creative'],
  estimatedDuration: 90,
  timeoutMs: 600_000,
  // Suno and Udio charge per generation: after a crash a person decides whether to generate again.
  resumable: false,
  payload: generateAudioParams,
  async run(p, ctx) {
    return ctx.call('creative', 'generate-audio', p, { timeoutMs: 590_000 });
  },
});

/** CreativeDirector's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const CREATIVE_DIRECTOR_CAPABILITIES = [generateSongConcept, coordinateProduction, qualityReview, generateAudio] as const;

/** Creative direction over the DAWG's creative and music modules. */
export function createCreativeDirectorAgent(): BaseAgent {
  return new BaseAgent('CreativeDirector', 'Writes song concepts, runs a production from idea to mix and reviews the result', [...CREATIVE_DIRECTOR_CAPABILITIES]);
}
