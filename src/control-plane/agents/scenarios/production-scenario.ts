import { z } from 'zod';
import { SONG_PROVIDERS } from '../../../common/ai-routing';
import { MASTER_TARGETS } from '../../../dawg/audio/master/targets';
import type { SummaryStep, WorkflowStepInput, WorkflowSummary } from '../workflow-engine';

/**
 * The blueprint's scenario 1 as one workflow (§5): "Create a synthwave track called 'Neon
 * Dreams', mix it professionally, and deploy it to the music catalog".
 *
 *   concept   CreativeDirector.generate-song-concept   title, genre, bpm, key, mood, structure
 *   generate  CreativeDirector.generate-audio          local composer (or Suno/Udio) → a project
 *   mix       MixingEngineer.full-mix                  balance, EQ, compression, space, export
 *   master    MixingEngineer.master-track              to the platform's loudness and true peak
 *   review    QualityAssurance.quality-review          measured checks; one re-master on failure
 *   publish   DevOpsEngineer.deploy-to-catalog         catalog entry (+ S3 through the firewall)
 *
 * Each step reads the earlier steps' results, so a restarted workflow never redoes a finished
 * step; when it ends, `productionSummary` builds the blueprint's answer from what was measured.
 */

export const PLATFORMS = ['spotify', 'youtube', 'apple-music'] as const;

export const productionBody = z.strictObject({
  prompt: z.string().trim().min(1).max(2_000).describe('What to make, in words (e.g. "Create a synthwave track called \'Neon Dreams\' …")'),
  title: z.string().trim().min(1).max(200).optional().describe('Omitted: a quoted name in the prompt, else one derived from it'),
  genre: z.string().trim().min(1).max(64).optional(),
  mood: z.string().trim().min(1).max(100).optional(),
  duration: z.number().int().min(10).max(300).default(180).describe('Target length in seconds (10–300)'),
  provider: z.enum(SONG_PROVIDERS).default('local').describe('local: the offline composer; suno/udio when configured (they cost money); auto: the AI router picks among the configured ones'),
  lyrics: z.string().min(1).max(10_000).optional(),
  platform: z.enum(PLATFORMS).default('spotify').describe('Loudness target of the master: Spotify/YouTube −14 LUFS, Apple Music −16 LUFS, true peak ≤ −1 dBTP'),
});
export type ProductionBody = z.output<typeof productionBody>;

/** The steps' keys and the timeline's names for them (the blueprint's "generation", "mixing", "deployment"). */
const PHASES = [
  ['concept', 'concept'],
  ['generate', 'generation'],
  ['mix', 'mixing'],
  ['master', 'mastering'],
  ['review', 'qualityReview'],
  ['publish', 'deployment'],
] as const;

/** The workflow for a request: name, kind (for its summary) and steps. */
export function productionWorkflow(body: ProductionBody): { name: string; kind: 'production'; steps: WorkflowStepInput[] } {
  const target = MASTER_TARGETS[body.platform];
  const step = (s: Pick<WorkflowStepInput, 'key' | 'agent' | 'taskType' | 'payload'> & Partial<WorkflowStepInput>): WorkflowStepInput => ({
    priority: 'medium',
    dependsOn: [],
    inputs: {},
    ...s,
  });
  const fromConcept = (...fields: Array<[string, string]>) => Object.fromEntries(fields.map(([to, from]) => [to, `concept.concept.${from}`]));
  return {
    name: `Production: ${(body.title ?? body.prompt).slice(0, 120)}`,
    kind: 'production',
    steps: [
      step({
        key: 'concept',
        agent: 'CreativeDirector',
        taskType: 'generate-song-concept',
        payload: {
          prompt: body.prompt,
          duration: body.duration,
          ...(body.title ? { title: body.title } : {}),
          ...(body.genre ? { genre: body.genre } : {}),
          ...(body.mood ? { mood: body.mood } : {}),
        },
      }),
      step({
        key: 'generate',
        agent: 'CreativeDirector',
        taskType: 'generate-audio',
        payload: { prompt: body.prompt, provider: body.provider, ...(body.lyrics ? { lyrics: body.lyrics } : {}) },
        dependsOn: ['concept'],
        inputs: fromConcept(['title', 'title'], ['genre', 'genre'], ['mood', 'mood'], ['bpm', 'bpm'], ['key', 'key'], ['duration', 'durationSeconds']),
      }),
      step({
        key: 'mix',
        agent: 'MixingEngineer',
        taskType: 'full-mix',
        payload: { targetLUFS: target.lufs },
        dependsOn: ['generate'],
        inputs: { projectId: 'generate.projectId' },
      }),
      step({
        key: 'master',
        agent: 'MixingEngineer',
        taskType: 'master-track',
        payload: { target: body.platform },
        dependsOn: ['mix'],
        inputs: { fileId: 'mix.mix.fileId' },
      }),
      step({
        key: 'review',
        agent: 'QualityAssurance',
        taskType: 'quality-review',
        payload: {
          targetLufs: target.lufs,
          maxTruePeakDbtp: target.truePeakDbtp,
          // The composer rounds to whole bars and the mix keeps the reverb's tail.
          durationToleranceSeconds: Math.max(4, Math.round(body.duration * 0.05)),
        },
        dependsOn: ['concept', 'mix', 'master'],
        inputs: { fileId: 'master.fileId', remasterFrom: 'mix.mix.fileId', expectedDurationSeconds: 'concept.concept.durationSeconds' },
      }),
      step({
        key: 'publish',
        agent: 'DevOpsEngineer',
        taskType: 'deploy-to-catalog',
        payload: {},
        dependsOn: ['concept', 'review'],
        inputs: { fileId: 'review.fileId', ...fromConcept(['title', 'title'], ['genre', 'genre'], ['bpm', 'bpm'], ['key', 'key'], ['mood', 'mood']) },
      }),
    ],
  };
}

/** "45 seconds", "2 minutes 15 seconds"; tenths under 10 s, where whole seconds would say 0. */
export function spoken(ms: number): string {
  if (ms < 10_000) {
    const s = Math.round(ms / 100) / 10;
    return `${s} second${s === 1 ? '' : 's'}`;
  }
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const parts = [...(minutes ? [`${minutes} minute${minutes === 1 ? '' : 's'}`] : []), ...(seconds || !minutes ? [`${seconds} second${seconds === 1 ? '' : 's'}`] : [])];
  return parts.join(' ');
}

/** Loudness figures as a meter shows them (−14.2 LUFS); the catalog entry keeps them whole. */
const tenth = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

const trackSchema = z.object({
  id: z.string(),
  title: z.string(),
  url: z.string(),
  streamUrl: z.string(),
  downloadUrl: z.string(),
  durationSeconds: z.number(),
  format: z.string(),
  analytics: z.object({ lufs: z.number().nullable(), peakDb: z.number().nullable(), stereoWidth: z.number() }),
  s3: z.object({ uri: z.string() }).optional(),
});
const reviewSchema = z.object({ approved: z.boolean(), remastered: z.boolean(), checks: z.array(z.unknown()), attempts: z.array(z.unknown()).optional() });

function timeline(steps: readonly SummaryStep[], workflow: { createdAt: Date; finishedAt: Date }) {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const ms: Record<string, number> = {};
  for (const [key, phase] of PHASES) {
    const s = byKey.get(key);
    if (s?.startedAt && s.finishedAt) ms[phase] = s.finishedAt.getTime() - s.startedAt.getTime();
  }
  ms.total = workflow.finishedAt.getTime() - workflow.createdAt.getTime();
  return { timeline: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, spoken(v)])), timelineMs: ms };
}

/**
 * The blueprint's response (§5 step 5), every value measured: the phases' times from the
 * steps' start and end, the track's figures from the published file. A failed production says
 * where it stopped and why (a quality review's reasons included).
 */
export const productionSummary: WorkflowSummary = (workflow, steps) => {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const agentsUsed = [...new Set(steps.filter((s) => s.status === 'completed' || s.status === 'failed').map((s) => s.agent))];
  const times = timeline(steps, workflow);
  if (workflow.status === 'failed') {
    const failed = steps.find((s) => s.status === 'failed');
    const phase = PHASES.find(([key]) => key === failed?.key)?.[1] ?? failed?.key ?? 'unknown';
    const details = failed?.error?.details as { failures?: unknown } | undefined;
    return {
      success: false,
      message: `Production stopped at ${phase}: ${failed?.error?.message ?? 'the step failed'}`,
      failedStep: failed?.key,
      ...(Array.isArray(details?.failures) ? { reasons: details.failures } : {}),
      ...times,
      agents_used: agentsUsed,
    };
  }
  const track = trackSchema.parse(byKey.get('publish')?.result);
  const review = reviewSchema.safeParse(byKey.get('review')?.result);
  return {
    success: true,
    message: `Track '${track.title}' created, mixed, mastered and deployed to the catalog`,
    ...times,
    result: {
      trackId: track.id,
      url: track.url,
      streamUrl: track.streamUrl,
      downloadUrl: track.downloadUrl,
      duration: Math.round(track.durationSeconds * 10) / 10,
      format: track.format,
      analytics: { lufs: tenth(track.analytics.lufs), peakDb: tenth(track.analytics.peakDb), stereoWidth: Math.round(track.analytics.stereoWidth) },
      ...(track.s3 ? { s3: track.s3.uri } : {}),
      ...(review.success ? { qualityReview: { approved: review.data.approved, remastered: review.data.remastered, checks: review.data.checks } } : {}),
    },
    agents_used: agentsUsed,
  };
};
