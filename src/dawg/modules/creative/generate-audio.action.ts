import { z } from 'zod';
import { NotImplementedError } from '../../../common/errors';
import { analyzeWav } from '../../audio/analysis';
import { compose, compositionSchema } from '../../audio/compose';
import { encodeWav } from '../../audio/io';
import { renderMidiWithSynth, renderProject } from '../../audio/render';
import { defineAction } from '../../sdk';
import type { FileStore, ProjectStore } from '../../storage';

/** The composition parameters, plus what only the action needs. */
const paramsSchema = compositionSchema
  .extend({
    title: z.string().trim().min(1).max(200).optional(),
    lyrics: z.string().max(10_000).optional(),
    provider: z.enum(['local', 'suno', 'udio']).default('local'),
  })
  .strict();

/**
 * Generates a song. Provider `local` (the default, offline): the procedural composer writes a
 * four-part arrangement into a new project, which the synth renders and the mix is stored as
 * a 24-bit WAV. Suno and Udio are not built yet and answer 501.
 */
export function generateAudioAction(deps: { files: FileStore; projects: ProjectStore }) {
  return defineAction({
    description: 'Generates a song from a prompt (genre, mood, bpm, key, duration); provider local (offline composer + synth) by default',
    params: paramsSchema,
    async handler(params, ctx) {
      if (params.provider !== 'local') {
        throw new NotImplementedError(`Provider ${params.provider} is not available yet; use provider "local"`, { field: 'params.provider', available: ['local'] });
      }
      const { title, lyrics, provider, ...input } = params;
      const song = compose(input);
      const project = await deps.projects.create({
        name: title ?? params.prompt.slice(0, 80),
        sampleRate: 48_000,
        bpm: song.bpm,
        tracks: song.parts.map((part, i) => ({
          id: `t_gen_${i}`,
          name: part.name,
          source: { kind: 'midi' as const, instrument: part.instrument, notes: part.notes },
          gainDb: part.gainDb,
          pan: part.pan,
          mute: false,
          solo: false,
          plugins: [],
        })),
      });
      const { mix } = await renderProject(project, { files: deps.files, renderMidi: renderMidiWithSynth }, { signal: ctx.signal });
      const wav = encodeWav(mix, { bitDepth: 24, format: 'pcm' });
      const { analysis } = analyzeWav(wav);
      const name = `${project.name.replace(/[^\w .()-]+/g, '_')}.wav`.slice(0, 200);
      const stored = await deps.files.put(wav, { name, contentType: 'audio/wav', audio: { ...analysis } });
      return {
        provider,
        projectId: project.id,
        fileId: stored.id,
        url: `/api/v1/files/${stored.id}`,
        concept: { genre: song.genre, bpm: song.bpm, key: song.key, bars: song.bars, parts: song.parts.map((p) => ({ name: p.name, instrument: p.instrument, notes: p.notes.length })) },
        ...(lyrics ? { lyrics: 'not sung: the local provider makes instrumentals' } : {}),
        analysis,
      };
    },
  });
}
