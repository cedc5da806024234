import { resolveTarget } from '../../audio/master';
import type { AudioWorkerPool, MasterSource } from '../../audio/worker';
import { defineAction } from '../../sdk';
import { fileUrl, type FileStore, type ProjectStore } from '../../storage';
import { masterTrackParams } from './creative-schemas';


/** Loudness tolerance the issue sets for a master: ±0.5 LU. */
const LUFS_TOLERANCE = 0.5;

/**
 * Masters a stored WAV to a streaming target and stores the result (24-bit PCM). The figures
 * returned are measured on the stored file itself, and `meetsTarget` says whether it landed
 * within ±0.5 LU with its true peak at or under the ceiling.
 */
export function masterTrackAction({ files, audio, projects }: { files: FileStore; audio: AudioWorkerPool; projects?: ProjectStore }) {
  return defineAction({
    description: 'Masters an audio file or a project’s mix to Spotify/YouTube (−14 LUFS), Apple Music (−16 LUFS) or a custom loudness, true peak ≤ −1 dBTP by default',
    params: masterTrackParams,
    async handler(params, ctx) {
      const target = resolveTarget(params);
      // The worker reads the stored file or renders the project itself: no audio crosses threads on the way in.
      let source: MasterSource;
      let sourceName: string;
      if (params.fileId) {
        sourceName = (await files.meta(params.fileId)).name;
        source = { fileId: params.fileId };
      } else {
        if (!projects) throw new Error('master-track was built without a project store');
        const project = await projects.get(params.projectId!);
        sourceName = project.name.replace(/[^\w .()-]+/g, '_');
        source = { project };
      }
      const { wav, analysis, processing: mastered } = await audio.master(source, target, ctx.signal);
      const name = `${sourceName.replace(/\.wav$/i, '')}-master-${target.name}.wav`.slice(0, 200);
      const stored = await files.put(wav, { name, contentType: 'audio/wav', audio: { ...analysis }, createdBy: ctx.actor });
      const loudnessOk = analysis.integratedLufs !== null && Math.abs(analysis.integratedLufs - target.lufs) <= LUFS_TOLERANCE;
      const peakOk = analysis.truePeakDbtp === null || analysis.truePeakDbtp <= target.truePeakDbtp;
      return {
        fileId: stored.id,
        ...(params.fileId ? { sourceFileId: params.fileId } : { projectId: params.projectId }),
        url: fileUrl(stored.id),
        target,
        measured: analysis,
        meetsTarget: loudnessOk && peakOk,
        checks: {
          loudness: { ok: loudnessOk, measuredLufs: analysis.integratedLufs, targetLufs: target.lufs, toleranceLu: LUFS_TOLERANCE },
          truePeak: { ok: peakOk, measuredDbtp: analysis.truePeakDbtp, ceilingDbtp: target.truePeakDbtp },
        },
        processing: { inputLufs: mastered.inputLufs, gainDb: +mastered.gainDb.toFixed(2), limiterReductionDb: +mastered.limiterReductionDb.toFixed(2), passes: mastered.iterations },
      };
    },
  });
}
