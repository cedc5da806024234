import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { capability } from '../types';
import { generateAudioParams, songConceptSchema } from '../../../dawg/action-schemas';
import { GENRES } from '../../../dawg/audio/compose/procedural-composer';
import { productionBody, productionWorkflow } from '../scenarios/production-scenario';
import { reviewMaster } from './quality-assurance.agent';

const label = z.string().trim().min(1).max(64);

/** What a language model may change in the rules' concept; the rest (structure, duration) stays as the composer renders it. */
const aiConceptFields = songConceptSchema.pick({ title: true, genre: true, bpm: true, key: true, mood: true, theme: true }).partial();

const conceptPayload = z.strictObject({
  prompt: z.string().trim().min(1).max(2_000).describe('Song description or theme'),
  title: z.string().trim().min(1).max(200).optional(),
  genre: label.optional(),
  mood: z.string().trim().min(1).max(100).optional(),
  duration: z.number().int().min(10).max(300).default(180).describe('Target duration (s)'),
  bpm: z.number().int().min(60).max(200).optional(),
  key: z.string().regex(/^[A-G]#? (major|minor)$/, 'must look like "A minor" or "F# major"').optional(),
});

/** The first {...} of a model's answer, parsed; undefined when there is none or it is not JSON. */
function firstJsonObject(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/**
 * The DAWG's rules write a concept the composer can render (creative.song-concept); a language
 * model, when one is configured, then refines title, genre, tempo, key, mood and theme — what
 * the user said explicitly always stands. With the offline model the rules' concept is the
 * answer and says so. Text only, nothing leaves the DAWG: safe to resume.
 */
const generateSongConcept = capability({
  name: 'generate-song-concept',
  description: 'Create song concept and production plan',
  requiredModules: ['creative', 'music'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: conceptPayload,
  async run(p, ctx) {
    const draft = songConceptSchema.parse(await ctx.call('creative', 'song-concept', p));
    const explicit = Object.fromEntries((['title', 'genre', 'mood', 'bpm', 'key'] as const).filter((k) => p[k] !== undefined).map((k) => [k, draft[k]]));
    let answer;
    try {
      answer = await ctx.ai({
        taskType: 'creative',
        messages: [
          {
            role: 'system',
            content:
              'You are a record producer. Improve the song concept you are given for the request. Answer with one JSON object only, with any of the keys ' +
              `title, genre (one of ${GENRES.join(', ')}), bpm (60-200), key (like "A minor"), mood, theme (one sentence). No other text.`,
          },
          { role: 'user', content: `Request: ${p.prompt}\nConcept: ${JSON.stringify({ title: draft.title, genre: draft.genre, bpm: draft.bpm, key: draft.key, mood: draft.mood, theme: draft.theme })}` },
        ],
        temperature: 0.6,
        maxOutputTokens: 300,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const code = (err as { code?: string }).code ?? 'AI_ERROR';
      ctx.logger.warn('concept kept from the rules: the AI router failed', { code });
      return { concept: draft, source: 'rules', notes: [`AI router unavailable (${code}): concept from the rules`] };
    }
    if (answer.offline) return { concept: draft, source: 'rules', model: answer.model, notes: ['offline model: concept from the rules, not a language model'] };
    const refined = aiConceptFields.safeParse(firstJsonObject(answer.content));
    if (!refined.success) return { concept: draft, source: 'rules', model: answer.model, notes: [`${answer.model} did not answer a usable concept: concept from the rules`] };
    const concept = { ...draft, ...refined.data, ...explicit };
    return { concept, source: 'ai', model: answer.model, notes: [`refined by ${answer.model}: ${Object.keys(refined.data).filter((k) => !(k in explicit)).join(', ') || 'nothing changed'}`] };
  },
});

/** Its id follows from the production request's task: a retried task answers the workflow it started. */
const coordinateProduction = capability({
  name: 'coordinate-production',
  description: 'Coordinate multi-agent music production',
  requiredModules: ['creative', 'music'],
  // The production's typical length (blueprint); this task itself only starts the workflow.
  estimatedDuration: 600,
  timeoutMs: 600_000,
  resumable: true,
  payload: productionBody,
  async run(p, ctx) {
    const plan = productionWorkflow(p);
    const started = await ctx.startWorkflow(plan);
    return {
      workflowId: started.workflowId,
      jobUrl: `/integrations/chatgpt/jobs/${started.workflowId}`,
      plan: plan.steps.map((s) => ({ step: s.key, agent: s.agent, taskType: s.taskType, after: s.dependsOn })),
      taskIds: started.taskIds,
      note: 'The production runs as this workflow; poll its job for progress and the final answer.',
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
/** The blueprint names quality-review under the CreativeDirector: the QualityAssurance's review, with the blueprint's description. */
const qualityReview = capability({ ...reviewMaster, requiredModules: ['creative', 'music'], estimatedDuration: 45 });

export const CREATIVE_DIRECTOR_CAPABILITIES = [generateSongConcept, coordinateProduction, qualityReview, generateAudio] as const;

/** Creative direction over the DAWG's creative and music modules. */
export function createCreativeDirectorAgent(): BaseAgent {
  return new BaseAgent('CreativeDirector', 'Writes song concepts, runs a production from idea to published track and reviews the result', [...CREATIVE_DIRECTOR_CAPABILITIES]);
}
