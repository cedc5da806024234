import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { AppError } from '../../../common/errors';
import { capability, type CapabilityContext } from '../types';

// Not in the blueprint: the agent that exercises the DAWG's testing module. Every capability
// only measures, so all are safe to resume.

const systemHealthCheck = capability({
  name: 'system-health-check',
  description: 'Report AI DAWG uptime, memory use and registered modules',
  requiredModules: ['testing'],
  estimatedDuration: 5,
  timeoutMs: 10_000,
  resumable: true,
  payload: z.object({}).strict(),
  async run(_p, ctx) {
    const health = await ctx.call('testing', 'health-check', {});
    return { health };
  },
});

const validateSystem = capability({
  name: 'validate-system',
  description: "Run the AI DAWG's self-checks",
  requiredModules: ['testing'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: z
    .object({
      /** Omitted: all checks. The DAWG owns the list of names and rejects unknown ones. */
      checks: z
        .array(z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/))
        .min(1)
        .max(50)
        .optional(),
    })
    .strict(),
  async run(p, ctx) {
    const validation = await ctx.call('testing', 'validate-system', p.checks ? { checks: p.checks } : {});
    return { validation };
  },
});

const fileId = z.string().regex(/^f_[0-9a-f-]{36}$/, 'must be a file id (f_…)');

/** The targets a check measures against (testing.audio-check's parameters). */
const checkTargets = {
  /** -14 LUFS integrated is what Spotify and YouTube normalise to. */
  targetLufs: z.number().min(-40).max(-5).default(-14),
  lufsTolerance: z.number().min(0).max(6).default(1).describe('Allowed deviation from targetLufs (LU)'),
  /** -1 dBTP leaves headroom for lossy encoding on streaming platforms. */
  maxTruePeakDbtp: z.number().min(-9).max(0).default(-1),
  expectedDurationSeconds: z.number().positive().max(3_600).optional(),
  durationToleranceSeconds: z.number().min(0).max(60).default(2),
  maxSilenceSeconds: z.number().min(0.1).max(60).default(2).describe('Longest silence (below −60 dBFS) allowed anywhere in the track'),
};

const checkResult = z.object({
  fileId: z.string(),
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean() }).passthrough()),
  failures: z.array(z.string()),
  measured: z.record(z.string(), z.unknown()),
});
type CheckResult = z.infer<typeof checkResult>;

const targetsSchema = z.strictObject(checkTargets);
type Targets = z.output<typeof targetsSchema>;

async function audioCheck(ctx: CapabilityContext, file: string, t: Targets): Promise<CheckResult> {
  const params = {
    fileId: file,
    targetLufs: t.targetLufs,
    lufsTolerance: t.lufsTolerance,
    maxTruePeakDbtp: t.maxTruePeakDbtp,
    durationToleranceSeconds: t.durationToleranceSeconds,
    maxSilenceSeconds: t.maxSilenceSeconds,
    ...(t.expectedDurationSeconds === undefined ? {} : { expectedDurationSeconds: t.expectedDurationSeconds }),
  };
  const answer = checkResult.safeParse(await ctx.call('testing', 'audio-check', params, { timeoutMs: 120_000 }));
  if (!answer.success) throw new AppError(502, 'DAWG_BAD_RESPONSE', 'testing.audio-check answered an unexpected shape', { issues: answer.error.issues });
  return answer.data;
}

const audioQualityCheck = capability({
  name: 'audio-quality-check',
  description: 'Measure an audio file: loudness, true peak, clipping, silence, stereo correlation, duration',
  requiredModules: ['testing'],
  estimatedDuration: 15,
  timeoutMs: 150_000,
  resumable: true,
  payload: z.strictObject({ fileId, ...checkTargets }),
  async run(p, ctx) {
    const { fileId: file, ...targets } = p;
    return audioCheck(ctx, file, targets);
  },
});

/**
 * Measured checks on a master (testing.audio-check). When one fails and the mix it came from
 * is given, the mix goes back through mastering once — to the same loudness with 0.5 dB more
 * true-peak headroom — and the new master is checked; failing again ends the task with the
 * reasons (422, not retried). Measures and masters to new files only: safe to resume.
 */
export const reviewMaster = capability({
  name: 'quality-review',
  description: 'Review and approve creative output',
  requiredModules: ['testing', 'creative'],
  estimatedDuration: 30,
  timeoutMs: 420_000,
  resumable: true,
  payload: z.strictObject({
    fileId: fileId.describe('The master to review'),
    ...checkTargets,
    remasterFrom: fileId.optional().describe('The mix the master was made from: mastered once more if a check fails'),
  }),
  async run(p, ctx) {
    const { fileId: first, remasterFrom, ...targets } = p;
    const initial = await audioCheck(ctx, first, targets);
    const attempts = [{ fileId: first, ok: initial.ok, failures: initial.failures }];
    if (initial.ok) return { fileId: first, approved: true, remastered: false, checks: initial.checks, measured: initial.measured, attempts };
    if (!remasterFrom) {
      throw new AppError(422, 'QUALITY_REVIEW_FAILED', `Quality review failed: ${initial.failures.join('; ')}`, { failures: initial.failures, checks: initial.checks, fileId: first });
    }
    ctx.progress(50, `Failed (${initial.failures.length}): mastering again`);
    const remaster = z.object({ fileId }).passthrough().parse(
      await ctx.call('creative', 'master-track', { fileId: remasterFrom, target: 'custom', lufs: targets.targetLufs, truePeak: Math.max(-12, targets.maxTruePeakDbtp - 0.5) }, { timeoutMs: 290_000 }),
    );
    const second = await audioCheck(ctx, remaster.fileId, targets);
    attempts.push({ fileId: remaster.fileId, ok: second.ok, failures: second.failures });
    if (!second.ok) {
      throw new AppError(422, 'QUALITY_REVIEW_FAILED', `Quality review failed after one re-master: ${second.failures.join('; ')}`, { failures: second.failures, checks: second.checks, attempts });
    }
    return { fileId: remaster.fileId, approved: true, remastered: true, checks: second.checks, measured: second.measured, attempts };
  },
});

/** QualityAssurance's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const QUALITY_ASSURANCE_CAPABILITIES = [systemHealthCheck, validateSystem, audioQualityCheck, reviewMaster] as const;

/** System and audio validation through the DAWG's testing module. */
export function createQualityAssuranceAgent(): BaseAgent {
  return new BaseAgent('QualityAssurance', 'Checks AI DAWG health, runs its self-checks, measures audio and reviews masters before they are published', [...QUALITY_ASSURANCE_CAPABILITIES]);
}
