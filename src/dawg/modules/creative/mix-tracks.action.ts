import type { AudioWorkerPool } from '../../audio/worker';
import { defineAction, type ActionContext, type ActionDefinition } from '../../sdk';
import type { FileStore, ProjectStore } from '../../storage';
import { mixTracksParams } from './creative-schemas';
import { mixActions } from '../music/mix-actions';
import { masterTrackAction } from './master-track.action';


/** Runs an action's own schema and handler, so a step is exactly what calling it would do. */
async function step(action: ActionDefinition | undefined, params: Record<string, unknown>, ctx: ActionContext): Promise<Record<string, unknown>> {
  if (!action) throw new Error('mixing step missing');
  ctx.signal.throwIfAborted();
  return (await action.handler(action.params.parse(params), ctx)) as Record<string, unknown>;
}

/**
 * Mixes uploaded stems in one call (blueprint's mixAudioTracks): a project of audio tracks,
 * then the music module's balance → EQ → compression → spatial → export, and optionally a
 * master to a streaming target. Every figure comes from the steps' own measurements.
 */
export function mixTracksAction(deps: { files: FileStore; projects: ProjectStore; audio: AudioWorkerPool }) {
  const music = mixActions(deps);
  const master = masterTrackAction({ files: deps.files, audio: deps.audio });
  return defineAction({
    description: 'Mixes audio files (stems) into one track: level balance, EQ, compression, width/reverb, export, optional streaming master',
    params: mixTracksParams,
    async handler(params, ctx) {
      const metas = await Promise.all(params.fileIds.map((id) => deps.files.meta(id)));
      const firstRate = (metas[0]!.audio as { sampleRate?: number } | undefined)?.sampleRate;
      const sampleRate = firstRate === 44_100 || firstRate === 96_000 ? firstRate : 48_000;
      const project = await deps.projects.create({
        createdBy: ctx.actor,
        name: params.name,
        sampleRate,
        bpm: 120,
        tracks: metas.map((m, i) => ({ id: `t_stem_${i}`, name: m.name.slice(0, 100), source: { kind: 'audio' as const, fileId: m.id }, gainDb: 0, pan: 0, mute: false, solo: false, plugins: [] })),
      });
      const projectId = project.id;
      const balanced = await step(music['balance-levels'], { projectId, targetLUFS: params.targetLUFS, analyzeFrequencies: false }, ctx);
      await step(music['apply-eq'], { projectId, eqProfile: params.eqProfile, autoCorrectResonances: false }, ctx);
      const compressed = await step(music['apply-dynamics'], { projectId, compressionRatio: params.compressionRatio, threshold: params.threshold }, ctx);
      await step(music['spatial-processing'], { projectId, stereoWidth: params.stereoWidth, reverbAmount: params.reverbAmount }, ctx);
      const mix = await step(music['export-mix'], { projectId, bitDepth: 24 }, ctx);
      const mastered = params.master === 'none' ? undefined : await step(master as unknown as ActionDefinition, { fileId: mix.fileId, target: params.master }, ctx);
      return {
        projectId,
        mix: { fileId: mix.fileId, url: mix.url, analysis: mix.analysis, ...(mix.warnings ? { warnings: mix.warnings } : {}) },
        ...(mastered ? { master: mastered } : {}),
        steps: { balance: balanced.tracks, compression: compressed.tracks },
      };
    },
  });
}
