import { z } from 'zod';
import { InvalidError, UnavailableError } from '../../../common/errors';
import type { SongProvider } from '../../providers';
import { compose } from '../../audio/compose';
import { generateAudioParams } from './creative-schemas';
import type { AudioWorkerPool } from '../../audio/worker';
import { defineAction, type ActionContext } from '../../sdk';
import { fileUrl, type FileStore, type ProjectStore } from '../../storage';


/**
 * Generates a song. Provider `local` (the default, offline): the procedural composer writes a
 * four-part arrangement into a new project, which the synth renders and the mix is stored as
 * a 24-bit WAV. Suno and Udio (when configured) generate remotely; their WAV is validated,
 * measured and stored the same way, and put in a new project as its one audio track. Either
 * way the answer names a project the mixing actions can work on.
 */
export function generateAudioAction(deps: { files: FileStore; projects: ProjectStore; audio: AudioWorkerPool; providers?: Partial<Record<'suno' | 'udio', SongProvider>> }) {
  /** Suno or Udio: their WAV, validated and measured like an upload, then stored. */
  async function generateWithProvider(name: 'suno' | 'udio', params: z.output<typeof generateAudioParams>, ctx: ActionContext) {
    const { signal } = ctx;
    const provider = deps.providers?.[name];
    if (!provider) {
      const available = ['local', ...Object.keys(deps.providers ?? {})];
      throw new UnavailableError('PROVIDER_NOT_CONFIGURED', `Provider ${name} is not configured on this AI DAWG (set ${name.toUpperCase()}_API_KEY${name === 'udio' ? ' and UDIO_API_URL' : ''})`, {
        issues: [{ field: 'params.provider', message: `must be one of ${available.join(', ')}` }],
        available,
      });
    }
    const song = await provider.generate(
      { prompt: params.prompt, title: params.title, lyrics: params.lyrics, genre: params.genre, durationSeconds: params.duration, instrumental: !params.lyrics },
      signal,
    );
    // The bytes go to a worker and come back with the analysis (moved both ways, not copied).
    const { bytes, analysis } = await deps.audio.analyzeWav(song.audio, signal);
    const name2 = `${(params.title ?? song.title ?? params.prompt.slice(0, 80)).replace(/[^\w .()-]+/g, '_')}.wav`.slice(0, 200);
    const stored = await deps.files.put(bytes, { name: name2, contentType: 'audio/wav', audio: { ...analysis }, createdBy: ctx.actor });
    // A project with the song as its one audio track: the mixing actions (full-mix) work on projects.
    const project = await deps.projects.create({
      createdBy: ctx.actor,
      name: (params.title ?? song.title ?? params.prompt.slice(0, 80)).slice(0, 200),
      sampleRate: analysis.sampleRate === 44_100 || analysis.sampleRate === 96_000 ? analysis.sampleRate : 48_000,
      bpm: params.bpm ?? 120,
      tracks: [{ id: 't_song', name: name2.slice(0, 100), source: { kind: 'audio' as const, fileId: stored.id }, gainDb: 0, pan: 0, mute: false, solo: false, plugins: [] }],
    });
    return { provider: name, providerTaskId: song.providerTaskId, projectId: project.id, fileId: stored.id, url: fileUrl(stored.id), analysis };
  }

  return defineAction({
    description: 'Generates a song from a prompt (genre, mood, bpm, key, duration); provider local (offline composer + synth) by default',
    params: generateAudioParams,
    async handler(params, ctx) {
      if (params.provider === 'auto') {
        throw new InvalidError('Provider auto is chosen by the Jarvis control plane\'s AI router: send this through the control plane, or name local, suno or udio', {
          issues: [{ field: 'params.provider', message: 'auto is resolved by the control plane; the AI DAWG takes local, suno or udio' }],
        });
      }
      if (params.provider !== 'local') return generateWithProvider(params.provider, params, ctx);
      const { title, lyrics, provider, strategy: _strategy, budget: _budget, ...input } = params;
      const song = compose(input);
      const project = await deps.projects.create({
        createdBy: ctx.actor,
        name: title ?? params.prompt.slice(0, 80),
        sampleRate: 48_000,
        bpm: song.bpm,
        // A part with no notes (the lead of a piece shorter than its intro) would be a silent
        // track, which the mixing steps cannot measure: left out.
        tracks: song.parts.filter((part) => part.notes.length > 0).map((part, i) => ({
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
      // Rendered by the synth in a worker, with 1 dB of headroom, as a 24-bit WAV.
      const { wav, analysis } = await deps.audio.renderSong(project, ctx.signal);
      const name = `${project.name.replace(/[^\w .()-]+/g, '_')}.wav`.slice(0, 200);
      const stored = await deps.files.put(wav, { name, contentType: 'audio/wav', audio: { ...analysis }, createdBy: ctx.actor });
      return {
        provider,
        projectId: project.id,
        fileId: stored.id,
        url: fileUrl(stored.id),
        concept: { genre: song.genre, bpm: song.bpm, key: song.key, bars: song.bars, parts: song.parts.map((p) => ({ name: p.name, instrument: p.instrument, notes: p.notes.length })) },
        ...(lyrics ? { lyrics: 'not sung: the local provider makes instrumentals' } : {}),
        analysis,
      };
    },
  });
}
