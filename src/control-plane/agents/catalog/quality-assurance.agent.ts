import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { capability } from '../types';

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

const audioQualityCheck = capability({
  name: 'audio-quality-check',
  description: 'Check an audio file against loudness and true-peak targets',
  requiredModules: ['testing'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: z
    .object({
      fileId: z.string().min(1).max(200).optional(),
      url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
      /** -14 LUFS integrated is what Spotify and YouTube normalise to. */
      targetLufs: z.number().min(-40).max(0).default(-14),
      /** -1 dBTP leaves headroom for lossy encoding on streaming platforms. */
      maxTruePeakDbtp: z.number().min(-9).max(0).default(-1),
    })
    .strict()
    .refine((p) => (p.fileId === undefined) !== (p.url === undefined), {
      message: 'Give exactly one of fileId or url',
      path: ['fileId'],
    }),
  async run(p, ctx) {
    const source = p.fileId === undefined ? { url: p.url } : { fileId: p.fileId };
    const check = await ctx.call('testing', 'audio-check', {
      ...source,
      targetLufs: p.targetLufs,
      maxTruePeakDbtp: p.maxTruePeakDbtp,
    });
    return { ...source, check };
  },
});

/** QualityAssurance's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const QUALITY_ASSURANCE_CAPABILITIES = [systemHealthCheck, validateSystem, audioQualityCheck] as const;

/** System and audio validation through the DAWG's testing module. */
export function createQualityAssuranceAgent(): BaseAgent {
  return new BaseAgent('QualityAssurance', 'Checks AI DAWG health, runs its self-checks and validates audio against loudness targets', [...QUALITY_ASSURANCE_CAPABILITIES]);
}
