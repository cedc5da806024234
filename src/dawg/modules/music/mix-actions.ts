import { z } from 'zod';
import { NotFoundError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import type { BiquadBandInput } from '../../audio/dsp';
import {
  DELAY_PATTERN,
  delayPatternMs,
  eqProfileBands,
  eqProfileSchema,
  resonanceCuts,
  type Plugin,
  type PluginType,
  type ResonanceCut,
  type ResonanceDetection,
} from '../../audio/render';
import type { AudioWorkerPool, MeasureRenderOptions } from '../../audio/worker';
import { defineAction, type ActionContext, type ActionDefinition } from '../../sdk';
import { assertMayChange, fileUrl, projectIdSchema, type FileStore, type Project, type ProjectStore, type Track } from '../../storage';

export interface MixActionsDeps {
  projects: ProjectStore;
  files: FileStore;
  /** Renders, measures and encodes off the event loop (or inline when built with 0 workers). */
  audio: AudioWorkerPool;
}

const sampleRateSchema = z.union([z.literal(44_100), z.literal(48_000), z.literal(96_000)]);

/** Replaces the first plugin of `plugin.type` in the chain, or appends it. */
function setPlugin(plugins: readonly Plugin[], plugin: Plugin): Plugin[] {
  const at = plugins.findIndex((p) => p.type === plugin.type);
  return at < 0 ? [...plugins, plugin] : plugins.map((p, i) => (i === at ? plugin : p));
}

/**
 * apply-eq's resonance figures for one track: what was found (on the track with the profile
 * alone), the cut made for each, and its level and excess re-measured with the cuts in place.
 */
function resonanceReport(found: ResonanceDetection | undefined, cuts: readonly ResonanceCut[], after: ResonanceDetection | undefined) {
  if (!found) return { resonanceCorrection: 'not-requested' as const, resonances: [] };
  const resonances = found.resonances.map((r, i) => ({
    frequencyHz: r.frequencyHz,
    excessDb: r.excessDb,
    q: r.q,
    cutDb: cuts[i]!.gainDb,
    persistence: r.persistence,
    levelDbBefore: r.levelDb,
    levelDbAfter: after?.probes[i]?.levelDb ?? null,
    excessDbAfter: after?.probes[i]?.excessDb ?? null,
  }));
  // 'analysed', or why the track was not: too short, silent, too little signal.
  return { resonanceCorrection: resonances.length > 0 ? ('applied' as const) : ('none-found' as const), resonanceAnalysis: found.status, resonances };
}

const isPlaying = (project: Project) => {
  const anySolo = project.tracks.some((t) => t.solo);
  return (t: Track) => !t.mute && (!anySolo || t.solo);
};

/**
 * The mixing actions of blueprint §2.2.2. Each renders the project and reports what it
 * measured; rendering and measuring run on the audio workers, which send back figures only.
 */
export function mixActions(deps: MixActionsDeps): Record<string, ActionDefinition> {
  const { projects, files, audio } = deps;
  const render = (project: Project, signal: AbortSignal, options: MeasureRenderOptions = {}) => audio.measureRender(project, options, signal);

  /** Stores `change(track)` for the chosen tracks and renders the changed project. */
  async function changeTracksAndRender(projectId: string, pick: (t: Track, p: Project) => boolean, change: (t: Track) => Track, ctx: ActionContext, options: MeasureRenderOptions = {}) {
    // Rendered before it is stored: a change that cannot render (bad plugin params, too long)
    // leaves the project as it was. Stored inside update(), so it applies to the latest version.
    let rendered: Awaited<ReturnType<typeof render>> | undefined;
    const project = await projects.update(projectId, async (p) => {
      const changed = { ...p, tracks: p.tracks.map((t) => (pick(t, p) ? change(t) : t)) };
      rendered = await render(changed, ctx.signal, options);
      return changed;
    }, ctx.ownedBy);
    return { project, rendered: rendered! };
  }

  return {
    'balance-levels': defineAction({
      description: 'Sets every playing track to the same integrated loudness so the mix lands at targetLUFS; stores the gains',
      params: z.strictObject({ projectId: projectIdSchema, targetLUFS: z.number().min(-40).max(0).default(-14), analyzeFrequencies: z.boolean().default(true) }),
      async handler({ projectId, targetLUFS, analyzeFrequencies }, ctx) {
        const before = await projects.get(projectId);
        assertMayChange(before, ctx.ownedBy);
        const rendered = await render(before, ctx.signal, { balanceTo: targetLUFS, bands: analyzeFrequencies });
        const balance = rendered.balance!;
        const changed = new Map(balance.tracks.filter((t) => t.status === 'balanced' || t.status === 'clamped').map((t) => [t.trackId, t.gainDb]));
        const stored = await projects.update(projectId, (p) => ({ ...p, tracks: p.tracks.map((t) => ({ ...t, gainDb: changed.get(t.id) ?? t.gainDb })) }), ctx.ownedBy);
        const { mix } = rendered;
        return {
          projectId,
          version: stored.version,
          targetLUFS,
          offTargetLu: mix.integratedLufs === null ? null : mix.integratedLufs - targetLUFS,
          tracks: balance.tracks.map((t, i) => ({
            ...t,
            name: before.tracks[i]!.name,
            ...(analyzeFrequencies ? { bands: rendered.tracks[i]!.bands } : {}),
          })),
          firstPassLufs: balance.firstPassLufs,
          correctionDb: balance.correctionDb,
          mix,
        };
      },
    }),

    'apply-eq': defineAction({
      description:
        "Puts a named EQ profile on tracks (replacing their 'eq' plugin), with a cut for each persistent resonance found when autoCorrectResonances, and reports band energy and each resonance's level before and after",
      params: z.strictObject({
        projectId: projectIdSchema,
        trackIds: z.array(z.string().min(1)).min(1).max(64).optional(),
        eqProfile: eqProfileSchema.default('balanced'),
        autoCorrectResonances: z.boolean().default(true),
      }),
      async handler({ projectId, trackIds, eqProfile, autoCorrectResonances }, ctx) {
        const project = await projects.get(projectId);
        assertMayChange(project, ctx.ownedBy);
        const ids = trackIds ?? project.tracks.map((t) => t.id);
        ids.forEach((id, n) => {
          if (!project.tracks.some((t) => t.id === id)) {
            throw new NotFoundError(`Track not found: ${id}`, { issues: [{ field: `params.trackIds.${n}`, message: 'is not a track of this project' }] }, 'TRACK_NOT_FOUND');
          }
        });
        const chosen = (t: Track) => ids.includes(t.id);
        const profile = eqProfileBands(eqProfile);
        const withEq = (bandsOf: (id: string) => BiquadBandInput[]) => (t: Track): Track => ({ ...t, plugins: setPlugin(t.plugins, { type: 'eq', params: { bands: bandsOf(t.id) }, bypass: false }) });
        // Resonances are looked for with the profile in place of the track's EQ, i.e. on what the
        // cuts will be added to: on the chain as it stands, an earlier apply-eq's cuts would hide
        // the resonances they treat, and applying again would drop them.
        const profiled = { ...project, tracks: project.tracks.map((t) => (chosen(t) ? withEq(() => profile)(t) : t)) };
        // Only recorded (audio) tracks: a MIDI track's spectral peaks are the notes the synth plays.
        const audioIds = ids.filter((id) => project.tracks.find((t) => t.id === id)!.source.kind === 'audio');
        const [before, detected] = await Promise.all([
          render(project, ctx.signal, { trackIds: ids, bands: true }),
          autoCorrectResonances && audioIds.length ? render(profiled, ctx.signal, { trackIds: audioIds, resonances: { detect: true } }) : undefined,
        ]);
        const found = new Map((detected?.tracks ?? []).map((t) => [t.trackId, t.resonances!]));
        const cuts = new Map([...found].map(([id, d]) => [id, resonanceCuts(d.resonances)]));
        const bandsOf = (id: string): BiquadBandInput[] => [...profile, ...(cuts.get(id) ?? [])];
        const probeHz = Object.fromEntries([...found].map(([id, d]) => [id, d.resonances.map((r) => r.frequencyHz)]));
        const after = await changeTracksAndRender(projectId, chosen, withEq(bandsOf), ctx, { bands: ids, resonances: { probeHz } });
        const tracks = before.tracks.map((b) => {
          const measured = after.rendered.tracks.find((r) => r.trackId === b.trackId)!;
          return {
            trackId: b.trackId,
            name: project.tracks.find((t) => t.id === b.trackId)!.name,
            bands: bandsOf(b.trackId),
            bandEnergyBefore: b.bands!,
            bandEnergyAfter: measured.bands!,
            ...(autoCorrectResonances && !audioIds.includes(b.trackId)
              ? { resonanceCorrection: 'not-applicable' as const, resonanceAnalysis: 'midi-track', resonances: [] }
              : resonanceReport(found.get(b.trackId), cuts.get(b.trackId) ?? [], measured.resonances)),
          };
        });
        return {
          projectId,
          version: after.project.version,
          eqProfile,
          resonanceCorrection: !autoCorrectResonances ? 'not-requested' : tracks.some((t) => t.resonanceCorrection === 'applied') ? 'applied' : 'none-found',
          tracks,
          mix: after.rendered.mix,
        };
      },
    }),

    'apply-dynamics': defineAction({
      description: "Puts a compressor on every playing track (replacing its 'compressor' plugin) and reports the gain reduction measured",
      params: z.strictObject({
        projectId: projectIdSchema,
        compressionRatio: z.number().min(1).max(50).default(4),
        threshold: z.number().min(-60).max(0).default(-18),
        attackMs: z.number().min(0.01).max(500).default(10),
        releaseMs: z.number().min(1).max(5000).default(100),
      }),
      async handler({ projectId, compressionRatio, threshold, attackMs, releaseMs }, ctx) {
        const params = { thresholdDb: threshold, ratio: compressionRatio, attackMs, releaseMs };
        const { project, rendered } = await changeTracksAndRender(
          projectId,
          (t, p) => isPlaying(p)(t),
          (t) => ({ ...t, plugins: setPlugin(t.plugins, { type: 'compressor', params, bypass: false }) }),
          ctx,
        );
        const playing = isPlaying(project);
        return {
          projectId,
          version: project.version,
          compressor: params,
          tracks: project.tracks.filter(playing).map((t) => {
            const reports = rendered.tracks.find((r) => r.trackId === t.id)!.plugins;
            const compressor = reports.find((r) => r.type === 'compressor' && !r.bypassed);
            return { trackId: t.id, name: t.name, maxGainReductionDb: compressor?.maxGainReductionDb ?? 0 };
          }),
          mix: rendered.mix,
        };
      },
    }),

    'spatial-processing': defineAction({
      description: 'Sets stereo width, reverb and tempo-synced delays on every track and reports the stereo image measured',
      params: z.strictObject({
        projectId: projectIdSchema,
        stereoWidth: z.number().min(0).max(200).default(70),
        reverbAmount: z.number().min(0).max(100).default(25),
        delayPatterns: z.array(z.string().regex(DELAY_PATTERN, "must be a note value like '1/4', '1/8', 'dotted-1/8' or 'triplet-1/8'")).max(4).default([]),
      }),
      async handler({ projectId, stereoWidth, reverbAmount, delayPatterns }, ctx) {
        const project = await projects.get(projectId);
        assertMayChange(project, ctx.ownedBy);
        const delays = delayPatterns.map((pattern, n) => {
          const timeMs = delayPatternMs(pattern, project.bpm)!;
          if (timeMs > 5000) throw fieldError(`params.delayPatterns.${n}`, `is ${timeMs.toFixed(0)} ms at ${project.bpm} bpm; delays reach 5000 ms`);
          return { pattern, timeMs };
        });
        // Width goes last so it governs the track's final image, reverb and echoes included.
        const spatial: Plugin[] = [
          ...delays.map((d): Plugin => ({ type: 'delay', params: { timeMs: d.timeMs, feedback: 0.3, wet: 0.3 }, bypass: false })),
          { type: 'reverb', params: { wet: reverbAmount / 100 }, bypass: reverbAmount === 0 },
          { type: 'stereo-width', params: { widthPercent: stereoWidth }, bypass: false },
        ];
        const replaced: PluginType[] = ['delay', 'reverb', 'stereo-width'];
        const { project: stored, rendered } = await changeTracksAndRender(
          projectId,
          () => true,
          (t) => ({ ...t, plugins: [...t.plugins.filter((p) => !replaced.includes(p.type)), ...spatial] }),
          ctx,
        );
        return { projectId, version: stored.version, stereoWidth, reverbAmount, delays, mix: rendered.mix };
      },
    }),

    'export-mix': defineAction({
      description: 'Renders the mix to a WAV file (16/24-bit PCM or 32-bit float) in the file store',
      params: z.strictObject({
        projectId: projectIdSchema,
        format: z.literal('wav').default('wav'),
        bitDepth: z.union([z.literal(16), z.literal(24), z.literal(32)]).default(24),
        sampleRate: sampleRateSchema.optional(),
      }),
      async handler({ projectId, bitDepth, sampleRate }, ctx) {
        const project = await projects.get(projectId);
        const exported = await audio.exportMix(project, { sampleRate: sampleRate ?? project.sampleRate, bitDepth }, ctx.signal);
        const { wav, renderedPeakDbfs } = exported;
        const name = `${project.name.replace(/[^\w .-]+/g, '_')}-mix.wav`.slice(0, 200);
        const put = await files.put(wav, { name, contentType: 'audio/wav', audio: { ...exported.analysis }, createdBy: ctx.actor });
        // Measured again on the file as stored, read back by a worker.
        const { analysis } = await audio.analyzeFile(put.id, ctx.signal);
        const clipped = bitDepth !== 32 && renderedPeakDbfs !== null && renderedPeakDbfs > 0;
        return {
          projectId,
          fileId: put.id,
          url: fileUrl(put.id),
          bytes: wav.length,
          analysis,
          ...(clipped ? { warnings: [`the mix peaks at ${renderedPeakDbfs!.toFixed(2)} dBFS and was clipped by ${bitDepth}-bit PCM; lower the faders or master it`] } : {}),
        };
      },
    }),
  };
}
