import { z } from 'zod';
import type { AudioWorkerPool } from '../../audio/worker';
import { defineAction } from '../../sdk';
import { fileIdSchema, type FileStore } from '../../storage/file-store';

export const audioCheckParams = z.strictObject({
  fileId: fileIdSchema,
  /** -14 LUFS integrated is what Spotify and YouTube normalise to. */
  targetLufs: z.number().min(-40).max(0).default(-14),
  lufsTolerance: z.number().min(0).max(6).default(1),
  /** -1 dBTP leaves headroom for lossy encoding on streaming platforms. */
  maxTruePeakDbtp: z.number().min(-9).max(0).default(-1),
  expectedDurationSeconds: z.number().positive().max(3_600).optional(),
  durationToleranceSeconds: z.number().min(0).max(60).default(2),
  maxSilenceSeconds: z.number().min(0.1).max(60).default(2),
  silenceThresholdDbfs: z.number().min(-120).max(-20).default(-60),
  /** Below this left/right correlation the mix is treated as inverted (mono playback cancels it). */
  minCorrelation: z.number().min(-1).max(1).default(0),
  maxClippedSamples: z.number().int().min(0).default(0),
});

type CheckName = 'loudness' | 'true-peak' | 'clipping' | 'silence' | 'correlation' | 'duration';
interface Check {
  name: CheckName;
  ok: boolean;
  measured: number | null;
  limit: string;
  message: string;
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * testing.audio-check: measured checks on a stored WAV — integrated loudness within the target,
 * true peak under the ceiling, no clipped samples, no long silence, correlation not inverted,
 * duration as asked. Every figure is measured on the file by an audio worker.
 */
export function audioCheckAction(deps: { files: Pick<FileStore, 'meta'>; audio: Pick<AudioWorkerPool, 'qualityFile'> }) {
  return defineAction({
    description: 'Measures a stored WAV and checks loudness (LUFS ± tolerance), true peak, clipping, silence, stereo correlation and duration',
    params: audioCheckParams,
    async handler(p, ctx) {
      await deps.files.meta(p.fileId); // 404 for an unknown file before any work
      const q = await deps.audio.qualityFile(p.fileId, p.silenceThresholdDbfs, ctx.signal);
      const a = q.analysis;
      const duration = a.frames / a.sampleRate;
      const checks: Check[] = [];
      const lufs = a.integratedLufs;
      checks.push(
        lufs === null
          ? { name: 'loudness', ok: false, measured: null, limit: `${p.targetLufs} ± ${p.lufsTolerance} LUFS`, message: 'Loudness could not be measured (the file is silent or too short)' }
          : {
              name: 'loudness',
              ok: Math.abs(lufs - p.targetLufs) <= p.lufsTolerance,
              measured: r1(lufs),
              limit: `${p.targetLufs} ± ${p.lufsTolerance} LUFS`,
              message: `Loudness ${r1(lufs)} LUFS ${Math.abs(lufs - p.targetLufs) <= p.lufsTolerance ? 'is within' : 'is outside'} ${p.targetLufs} ± ${p.lufsTolerance} LUFS`,
            },
      );
      const tp = a.truePeakDbtp;
      checks.push({
        name: 'true-peak',
        ok: tp === null || tp <= p.maxTruePeakDbtp,
        measured: tp === null ? null : r1(tp),
        limit: `≤ ${p.maxTruePeakDbtp} dBTP`,
        message: tp === null ? 'True peak: the file is silent' : `True peak ${r1(tp)} dBTP ${tp <= p.maxTruePeakDbtp ? 'is at or under' : 'exceeds'} ${p.maxTruePeakDbtp} dBTP`,
      });
      checks.push({
        name: 'clipping',
        ok: q.clippedSamples <= p.maxClippedSamples,
        measured: q.clippedSamples,
        limit: `≤ ${p.maxClippedSamples} clipped samples`,
        message: `${q.clippedSamples} clipped sample${q.clippedSamples === 1 ? '' : 's'} (|x| ≥ 0.999 of full scale)`,
      });
      checks.push({
        name: 'silence',
        ok: q.longestSilenceSeconds <= p.maxSilenceSeconds,
        measured: q.longestSilenceSeconds,
        limit: `≤ ${p.maxSilenceSeconds} s below ${p.silenceThresholdDbfs} dBFS`,
        message:
          q.longestSilenceAtSeconds === null
            ? `No silence below ${p.silenceThresholdDbfs} dBFS`
            : `Longest silence ${q.longestSilenceSeconds} s (at ${q.longestSilenceAtSeconds} s) ${q.longestSilenceSeconds <= p.maxSilenceSeconds ? 'is within' : 'exceeds'} ${p.maxSilenceSeconds} s`,
      });
      checks.push({
        name: 'correlation',
        ok: a.correlation >= p.minCorrelation,
        measured: r3(a.correlation),
        limit: `≥ ${p.minCorrelation}`,
        message: `Left/right correlation ${r3(a.correlation)} ${a.correlation >= p.minCorrelation ? 'is not inverted' : `is below ${p.minCorrelation}: the channels cancel in mono`}`,
      });
      checks.push(
        p.expectedDurationSeconds === undefined
          ? { name: 'duration', ok: true, measured: r3(duration), limit: 'not requested', message: `Duration ${r1(duration)} s (no expected duration given)` }
          : {
              name: 'duration',
              ok: Math.abs(duration - p.expectedDurationSeconds) <= p.durationToleranceSeconds,
              measured: r3(duration),
              limit: `${p.expectedDurationSeconds} ± ${p.durationToleranceSeconds} s`,
              message: `Duration ${r1(duration)} s ${Math.abs(duration - p.expectedDurationSeconds) <= p.durationToleranceSeconds ? 'is within' : 'is outside'} ${p.expectedDurationSeconds} ± ${p.durationToleranceSeconds} s`,
            },
      );
      const failures = checks.filter((c) => !c.ok).map((c) => c.message);
      return {
        fileId: p.fileId,
        ok: failures.length === 0,
        checks,
        failures,
        measured: {
          integratedLufs: lufs,
          truePeakDbtp: tp,
          samplePeakDbfs: a.samplePeakDbfs,
          loudnessRangeLu: a.loudnessRangeLu,
          clippedSamples: q.clippedSamples,
          longestSilenceSeconds: q.longestSilenceSeconds,
          correlation: r3(a.correlation),
          durationSeconds: r3(duration),
          stereoWidthPercent: a.stereoWidthPercent,
          sampleRate: a.sampleRate,
          bitDepth: a.bitDepth ?? null,
          channels: a.channels,
        },
      };
    },
  });
}
