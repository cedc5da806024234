import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import { applyPluginChain } from '../../audio/render';
import { VOICE_PRESETS } from '../../audio/synth';
import { silence } from '../../audio/types';
import { defineAction, type ActionDefinition } from '../../sdk';
import { assertMayChange, pluginSchema, projectIdSchema, trackSourceSchema, type FileStore, type ProjectStore } from '../../storage';

export interface ProjectActionsDeps {
  projects: ProjectStore;
  files: FileStore;
}

const trackSettings = {
  gainDb: z.number().min(-60).max(24),
  pan: z.number().min(-1).max(1),
  mute: z.boolean(),
  solo: z.boolean(),
  plugins: z.array(pluginSchema).max(32),
};

const INSTRUMENTS = [...Object.keys(VOICE_PRESETS), 'drums'];

/** Checks what a track will need to render, so nothing stored fails later: the instrument and each plugin's params. */
function checkTrack(track: { source?: { kind: string; instrument?: string }; plugins?: Array<{ type: string; params: Record<string, unknown>; bypass: boolean }> }, sampleRate: number): void {
  if (track.source?.kind === 'midi' && !INSTRUMENTS.includes(track.source.instrument ?? '')) {
    throw fieldError('params.source.instrument', `must be one of ${INSTRUMENTS.join(', ')}`);
  }
  // Running the chain over a few silent frames validates every plugin with its processor's schema.
  if (track.plugins?.length) applyPluginChain(silence(sampleRate, 2, 64), track.plugins as Parameters<typeof applyPluginChain>[1], 'params.plugins');
}

/** Project and track management of the music module: the projects that the mixing actions work on. */
export function projectActions({ projects, files }: ProjectActionsDeps): Record<string, ActionDefinition> {
  return {
    'create-project': defineAction({
      description: 'Creates an empty project (name, sample rate 44100/48000/96000, bpm)',
      params: z
        .object({
          name: z.string().trim().min(1).max(200),
          sampleRate: z.union([z.literal(44_100), z.literal(48_000), z.literal(96_000)]).default(48_000),
          bpm: z.number().min(20).max(400).default(120),
        })
        .strict(),
      handler: (params, ctx) => projects.create({ ...params, createdBy: ctx.actor }),
    }),
    'get-project': defineAction({
      description: 'A project with its tracks',
      params: z.object({ projectId: projectIdSchema }).strict(),
      handler: (params) => projects.get(params.projectId),
    }),
    'list-projects': defineAction({
      description: 'All projects (id, name, sample rate, bpm, track count, who created it)',
      params: z.object({}).strict(),
      async handler() {
        const all = await projects.list();
        return {
          projects: all.map((p) => ({ id: p.id, name: p.name, sampleRate: p.sampleRate, bpm: p.bpm, tracks: p.tracks.length, updatedAt: p.updatedAt, createdBy: p.createdBy ?? null })),
        };
      },
    }),
    'delete-project': defineAction({
      description: 'Deletes a project (its audio files stay in the file store); only its creator or an admin key may',
      params: z.object({ projectId: projectIdSchema }).strict(),
      async handler(params, ctx) {
        await projects.remove(params.projectId, ctx.ownedBy);
        return { deleted: params.projectId };
      },
    }),
    'add-track': defineAction({
      description: 'Adds a track: an uploaded audio file (fileId) or MIDI notes for a built-in instrument',
      params: z
        .object({
          projectId: projectIdSchema,
          name: z.string().trim().min(1).max(100),
          source: trackSourceSchema,
          gainDb: trackSettings.gainDb.default(0),
          pan: trackSettings.pan.default(0),
          mute: trackSettings.mute.default(false),
          solo: trackSettings.solo.default(false),
          plugins: trackSettings.plugins.default([]),
        })
        .strict(),
      async handler({ projectId, ...track }, ctx) {
        const target = await projects.get(projectId);
        assertMayChange(target, ctx.ownedBy);
        checkTrack(track, target.sampleRate);
        if (track.source.kind === 'audio') await files.meta(track.source.fileId);
        const id = `t_${randomUUID()}`;
        const project = await projects.update(projectId, (p) => ({ ...p, tracks: [...p.tracks, { id, ...track }] }), ctx.ownedBy);
        return { projectId, trackId: id, version: project.version };
      },
    }),
    'update-track': defineAction({
      description: 'Changes a track’s name, gain, pan, mute/solo or plugin chain',
      params: z
        .object({
          projectId: projectIdSchema,
          trackId: z.string().min(1),
          name: z.string().trim().min(1).max(100).optional(),
          ...Object.fromEntries(Object.entries(trackSettings).map(([k, v]) => [k, v.optional()])),
        })
        .strict(),
      async handler({ projectId, trackId, ...changes }, ctx) {
        const project = await projects.update(projectId, (p) => {
          checkTrack(changes as Parameters<typeof checkTrack>[0], p.sampleRate);
          if (!p.tracks.some((t) => t.id === trackId)) throw new NotFoundError(`Track not found: ${trackId}`, { tracks: p.tracks.map((t) => t.id) }, 'TRACK_NOT_FOUND');
          const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
          return { ...p, tracks: p.tracks.map((t) => (t.id === trackId ? { ...t, ...defined } : t)) };
        }, ctx.ownedBy);
        return project.tracks.find((t) => t.id === trackId);
      },
    }),
    'remove-track': defineAction({
      description: 'Removes a track from a project',
      params: z.object({ projectId: projectIdSchema, trackId: z.string().min(1) }).strict(),
      async handler({ projectId, trackId }, ctx) {
        const project = await projects.update(projectId, (p) => {
          if (!p.tracks.some((t) => t.id === trackId)) throw new NotFoundError(`Track not found: ${trackId}`, { tracks: p.tracks.map((t) => t.id) }, 'TRACK_NOT_FOUND');
          return { ...p, tracks: p.tracks.filter((t) => t.id !== trackId) };
        }, ctx.ownedBy);
        return { projectId, removed: trackId, version: project.version };
      },
    }),
  };
}
