import { InvalidError, NotFoundError, NotImplementedError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import type { FileStore, Project, Track } from '../../storage';
import { sumBus } from '../dsp';
import { decodeWav, resample } from '../io';
import type { AudioData } from '../types';
import { applyPluginChain, type PluginReport } from './plugin-chain';
import type { RenderCache } from './render-cache';

/** Renders a MIDI track's notes to audio at the given rate (the synth, or a fake in tests). */
export type MidiRenderer = (track: Track, options: { bpm: number; sampleRate: number }) => AudioData;

export interface RenderDeps {
  /** Read only: a render never stores (and may run in a worker thread with its own view of the store). */
  files: Pick<FileStore, 'get' | 'meta'>;
  /** Without it a MIDI track fails with 501: the engine has no other way to make its sound. */
  renderMidi?: MidiRenderer;
  /** Tracks' audio after their plugin chains, kept from earlier renders (the thread's RenderCache). */
  chains?: Pick<RenderCache, 'chainState' | 'keepChainState'>;
}

export interface RenderOptions {
  /** Render only these tracks (the mix is their sum); all tracks when absent. */
  trackIds?: readonly string[];
  signal?: AbortSignal;
}

export interface RenderedTrack {
  trackId: string;
  /** Stereo, after the plugin chain and before the fader (gain, pan, mute, solo). */
  audio: AudioData;
  plugins: PluginReport[];
}

export interface RenderedProject {
  /** The stereo bus: every track through its fader, mute and solo applied. */
  mix: AudioData;
  tracks: RenderedTrack[];
}

/**
 * Renders a project offline: each track's source to stereo at the project rate, its plugin
 * chain, then the bus. Yields to the event loop between tracks so a long render never holds
 * it for more than one track, and stops with the signal's reason when it is aborted.
 */
export async function renderProject(project: Project, deps: RenderDeps, options: RenderOptions = {}): Promise<RenderedProject> {
  const selected = selectTracks(project, options.trackIds);
  if (selected.length === 0) throw fieldError('tracks', 'the project has no tracks to render');
  await checkRenderBudget(project, selected, deps.files);
  const tracks: RenderedTrack[] = [];
  for (const { track, index } of selected) {
    options.signal?.throwIfAborted();
    const { audio, reports } = await renderTrack(project, track, index, deps);
    tracks.push({ trackId: track.id, audio, plugins: reports });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  options.signal?.throwIfAborted();
  const mix = sumBus(
    tracks.map((rendered, i) => {
      const { gainDb, pan, mute, solo } = selected[i]!.track;
      return { audio: rendered.audio, gainDb, pan, mute, solo };
    }),
  );
  return { mix, tracks };
}

/** Longest track a render accepts, and the memory all rendered tracks may take together. */
export const RENDER_LIMITS = { maxTrackSeconds: 20 * 60, maxRenderBytes: 1.5 * 2 ** 30 } as const;
/** Release and effect tails the synth may add after the last note, at most. */
const TAIL_SECONDS = 30;

/**
 * Refuses, before any work, a render that would be too long or need too much memory: every
 * track is held as stereo float until the bus sums them (8 bytes per frame).
 */
async function checkRenderBudget(project: Project, selected: Array<{ track: Track; index: number }>, files: RenderDeps['files']): Promise<void> {
  let bytes = 0;
  for (const { track, index } of selected) {
    let seconds: number;
    if (track.source.kind === 'audio') {
      const audio = (await files.meta(track.source.fileId)).audio as { frames?: number; sampleRate?: number } | undefined;
      seconds = audio?.frames && audio.sampleRate ? audio.frames / audio.sampleRate : 0;
    } else {
      const lastBeat = track.source.notes.reduce((end, n) => Math.max(end, n.startBeats + n.durationBeats), 0);
      seconds = (lastBeat * 60) / project.bpm + TAIL_SECONDS;
    }
    if (seconds > RENDER_LIMITS.maxTrackSeconds) {
      throw fieldError(`tracks.${index}.source`, `is ${Math.round(seconds)} s long; a track may be at most ${RENDER_LIMITS.maxTrackSeconds} s`);
    }
    bytes += seconds * project.sampleRate * 8;
  }
  if (bytes > RENDER_LIMITS.maxRenderBytes) {
    throw fieldError('tracks', `rendering these tracks at ${project.sampleRate} Hz needs about ${Math.round(bytes / 2 ** 20)} MiB; the limit is ${RENDER_LIMITS.maxRenderBytes / 2 ** 20} MiB (fewer or shorter tracks, or a lower sample rate)`);
  }
}

function selectTracks(project: Project, trackIds?: readonly string[]): Array<{ track: Track; index: number }> {
  const all = project.tracks.map((track, index) => ({ track, index }));
  if (!trackIds) return all;
  return trackIds.map((id, n) => {
    const found = all.find((t) => t.track.id === id);
    if (!found) throw new NotFoundError(`Track not found: ${id}`, { issues: [{ field: `trackIds.${n}`, message: 'is not a track of this project' }] }, 'TRACK_NOT_FOUND');
    return found;
  });
}

/**
 * A track's source through its plugin chain, continuing from the chain state an earlier render
 * kept when its plugins are the first of this chain (all of them: nothing to do).
 */
async function renderTrack(project: Project, track: Track, index: number, deps: RenderDeps): Promise<{ audio: AudioData; reports: PluginReport[] }> {
  const kept = deps.chains?.chainState(track, project);
  if (kept && kept.applied === track.plugins.length) return kept;
  const start = kept ?? { applied: 0, audio: await renderSource(project, track, index, deps), reports: [] };
  const rest = applyPluginChain(start.audio, track.plugins.slice(start.applied), `tracks.${index}.plugins`, start.applied);
  const reports = [...start.reports, ...rest.reports];
  deps.chains?.keepChainState(track, project, rest.audio, reports);
  return { audio: rest.audio, reports };
}

async function renderSource(project: Project, track: Track, index: number, deps: RenderDeps): Promise<AudioData> {
  const field = `tracks.${index}.source`;
  let audio: AudioData;
  if (track.source.kind === 'audio') {
    const stored = await deps.files.get(track.source.fileId);
    audio = resample(decodeWav(stored.data).audio, project.sampleRate);
  } else {
    if (!deps.renderMidi) throw new NotImplementedError(`MIDI rendering is not available: ${field} is a MIDI track and no MIDI renderer is configured`, { field });
    try {
      audio = deps.renderMidi(track, { bpm: project.bpm, sampleRate: project.sampleRate });
    } catch (err) {
      if (err instanceof InvalidError) throw fieldError(field, err.message, { cause: err.details });
      throw err;
    }
    if (audio.sampleRate !== project.sampleRate) audio = resample(audio, project.sampleRate);
  }
  return toStereo(audio, field);
}

function toStereo(audio: AudioData, field: string): AudioData {
  const [left, right] = audio.channels;
  if (!left) throw fieldError(field, 'has no audio channels');
  if (audio.channels.length > 2) throw fieldError(field, `has ${audio.channels.length} channels; only mono and stereo are mixed`);
  return { sampleRate: audio.sampleRate, channels: [left, right ?? left.slice()] };
}
