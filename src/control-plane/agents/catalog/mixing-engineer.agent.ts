import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { masterTrackParams, mixTracksParams } from '../../../dawg/action-schemas';
import { capability, type CapabilityContext } from '../types';

const projectId = z.string().min(1).max(200);
/** -14 LUFS integrated is what Spotify and YouTube normalise to. */
const targetLUFS = z.number().min(-40).max(0).default(-14).describe('Integrated loudness target (LUFS)');
/** Named presets only: the DAWG owns the list and rejects names it does not know. */
const presetName = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/);

// The mixing steps are declarative (a target level, a profile, fixed settings), so running one
// again converges to the same project state: all of them are safe to resume after a crash.

const balanceMix = capability({
  name: 'balance-mix',
  description: 'Balance levels across all tracks',
  requiredModules: ['music'],
  estimatedDuration: 45,
  timeoutMs: 90_000,
  resumable: true,
  payload: z.object({ projectId, targetLUFS }).strict(),
  async run(p, ctx) {
    const balance = await ctx.call('music', 'balance-levels', {
      projectId: p.projectId,
      targetLUFS: p.targetLUFS,
      analyzeFrequencies: true,
    });
    return { projectId: p.projectId, targetLUFS: p.targetLUFS, balance };
  },
});

const applyEq = capability({
  name: 'apply-eq',
  description: 'Apply frequency shaping and EQ',
  requiredModules: ['music'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: z
    .object({
      projectId,
      /** Omitted: every track of the project. */
      trackIds: z.array(z.string().min(1).max(200)).min(1).max(200).optional(),
      eqProfile: presetName.default('balanced'),
    })
    .strict(),
  async run(p, ctx) {
    const eq = await ctx.call('music', 'apply-eq', {
      projectId: p.projectId,
      ...(p.trackIds ? { trackIds: p.trackIds } : {}),
      eqProfile: p.eqProfile,
      autoCorrectResonances: true,
    });
    return { projectId: p.projectId, eq };
  },
});

const applyCompression = capability({
  name: 'apply-compression',
  description: 'Apply dynamic range compression',
  requiredModules: ['music'],
  estimatedDuration: 30,
  timeoutMs: 60_000,
  resumable: true,
  payload: z
    .object({
      projectId,
      ratio: z.number().min(1).max(20).default(4).describe('Compression ratio (n:1)'),
      threshold: z.number().min(-60).max(0).default(-18).describe('Threshold (dBFS)'),
      attack: z.number().min(0.1).max(500).default(10).describe('Attack (ms)'),
      release: z.number().min(5).max(5000).default(100).describe('Release (ms)'),
    })
    .strict(),
  async run(p, ctx) {
    const dynamics = await ctx.call('music', 'apply-dynamics', {
      projectId: p.projectId,
      compressionRatio: p.ratio,
      threshold: p.threshold,
      attackMs: p.attack,
      releaseMs: p.release,
    });
    return { projectId: p.projectId, dynamics };
  },
});

const spatialMixing = capability({
  name: 'spatial-mixing',
  description: 'Create stereo width and depth',
  requiredModules: ['music'],
  estimatedDuration: 40,
  timeoutMs: 80_000,
  resumable: true,
  payload: z
    .object({
      projectId,
      width: z.number().min(0).max(100).default(70).describe('Stereo width (%)'),
      reverb: z.number().min(0).max(100).default(25).describe('Reverb amount (%)'),
      delays: z.array(presetName).max(8).default([]).describe('Named delay patterns'),
    })
    .strict(),
  async run(p, ctx) {
    const spatial = await ctx.call('music', 'spatial-processing', {
      projectId: p.projectId,
      stereoWidth: p.width,
      reverbAmount: p.reverb,
      delayPatterns: p.delays,
    });
    return { projectId: p.projectId, spatial };
  },
});

/**
 * The blueprint's pipeline with its fixed settings for each step. Each step goes through its
 * own schema so the defaults stay in one place. The signal is checked before every call: once
 * the task is cancelled no further DAWG action starts. Also run by the CreativeDirector after
 * it has generated the audio.
 */
export async function runFullMix(p: { projectId: string; targetLUFS: number }, ctx: CapabilityContext) {
  const { projectId } = p;
  ctx.signal.throwIfAborted();
  const balanced = await balanceMix.run(balanceMix.payload.parse({ projectId, targetLUFS: p.targetLUFS }), ctx);
  ctx.progress(20, 'Levels balanced');
  ctx.signal.throwIfAborted();
  const eqApplied = await applyEq.run(applyEq.payload.parse({ projectId, eqProfile: 'mastering-ready' }), ctx);
  ctx.progress(40, 'EQ applied');
  ctx.signal.throwIfAborted();
  const compressed = await applyCompression.run(applyCompression.payload.parse({ projectId, ratio: 3, threshold: -16 }), ctx);
  ctx.progress(60, 'Compression applied');
  ctx.signal.throwIfAborted();
  const spatial = await spatialMixing.run(spatialMixing.payload.parse({ projectId, width: 80, reverb: 30 }), ctx);
  ctx.progress(80, 'Spatial processing applied');
  ctx.signal.throwIfAborted();
  const mix = await ctx.call('music', 'export-mix', { projectId, format: 'wav', bitDepth: 24, sampleRate: 48000 });
  ctx.progress(100, 'Mix exported');
  return { projectId, mix, steps: { balanced, eqApplied, compressed, spatial } };
}

const fullMix = capability({
  name: 'full-mix',
  description: 'Complete professional mixing pipeline',
  requiredModules: ['music'],
  estimatedDuration: 180,
  timeoutMs: 360_000,
  // Every step is declarative and the export only rewrites the project's mix file.
  resumable: true,
  payload: z.object({ projectId, targetLUFS }).strict(),
  run: runFullMix,
});

// Mixing stems and mastering write new files and change nothing else: safe to run again.

const mixTracks = capability({
  name: 'mix-tracks',
  description: 'Mix uploaded stems into one track (balance, EQ, compression, space, optional master)',
  requiredModules: ['creative'],
  estimatedDuration: 120,
  timeoutMs: 600_000,
  resumable: true,
  payload: mixTracksParams,
  async run(p, ctx) {
    return ctx.call('creative', 'mix-tracks', p, { timeoutMs: 590_000 });
  },
});

const masterTrack = capability({
  name: 'master-track',
  description: 'Master a track to a streaming loudness target (Spotify, YouTube, Apple Music or custom)',
  requiredModules: ['creative'],
  estimatedDuration: 60,
  timeoutMs: 300_000,
  resumable: true,
  payload: masterTrackParams,
  async run(p, ctx) {
    return ctx.call('creative', 'master-track', p, { timeoutMs: 290_000 });
  },
});

/** MixingEngineer's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const MIXING_ENGINEER_CAPABILITIES = [balanceMix, applyEq, applyCompression, spatialMixing, fullMix, mixTracks, masterTrack] as const;

/** Mixes DAWG projects through the music module, and stems and masters through the creative module. */
export function createMixingEngineerAgent(): BaseAgent {
  return new BaseAgent('MixingEngineer', 'Balances, equalises, compresses, spatialises and exports mixes of AI DAWG projects', [...MIXING_ENGINEER_CAPABILITIES]);
}
