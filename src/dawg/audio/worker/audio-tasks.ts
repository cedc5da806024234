import type { FileStore, Project } from '../../storage';
import { analyzeAudio, analyzeWav, type AudioAnalysis } from '../analysis';
import { gainToDb, scaleInPlace } from '../dsp';
import { decodeWav, encodeWav, resample } from '../io';
import { samplePeak } from '../loudness';
import { masterAudio } from '../master';
import {
  balanceLevels,
  bandEnergy,
  detectResonances,
  renderMidiWithSynth,
  renderProject,
  type MidiRenderer,
  type RenderDeps,
  type BalancedTrack,
  type BandEnergy,
  type PluginReport,
  type ResonanceDetection,
} from '../render';
import type { AudioData, BitDepth } from '../types';
import { computeWaveform, type Waveform } from '../waveform';
import { measureQuality, type QualityMeasures } from '../quality/quality-measures';
import { ownBuffers } from './transfer';

/** What a worker reads from the file store: files by id, never a write (the main thread stores). */
export type ReadableFiles = Pick<FileStore, 'get' | 'meta'>;

/** Where a master's audio comes from: a stored WAV, a project's mix, or audio the caller holds (moved, not copied). */
export type MasterSource = { fileId: string } | { project: Project } | { audio: AudioData };

/**
 * The audio work the DAWG hands to its workers. Each task is cut so that what crosses the
 * thread boundary is small: a project (its description, not its audio) or a file id goes in;
 * figures, or one encoded WAV (moved, not copied), come back.
 */
export type AudioTask =
  | { kind: 'analyze-wav'; bytes: Uint8Array }
  | { kind: 'analyze-file'; fileId: string }
  | { kind: 'waveform-file'; fileId: string; points: number }
  | { kind: 'quality-file'; fileId: string; silenceThresholdDbfs: number }
  | { kind: 'measure-render'; project: Project; options: MeasureRenderOptions }
  | { kind: 'export-mix'; project: Project; sampleRate: number; bitDepth: BitDepth }
  | { kind: 'render-song'; project: Project }
  | { kind: 'master'; source: MasterSource; target: { lufs: number; truePeakDbtp: number } };

export interface MeasureRenderOptions {
  /** Render only these tracks; all when absent. */
  trackIds?: readonly string[];
  /** Band energy of every rendered track (true) or of these tracks. */
  bands?: boolean | readonly string[];
  /** Balance the faders to this mix loudness (LUFS); the mix reported is then the balanced one. */
  balanceTo?: number;
  /** Resonances found on rendered tracks and levels at given frequencies, measured where the audio is. */
  resonances?: ResonanceRequest;
}

export interface ResonanceRequest {
  /** Look for resonances on every rendered track (true) or on these tracks. */
  detect?: boolean | readonly string[];
  /** Measure level and excess at these frequencies, by track id: a correction's figures after the fact. */
  probeHz?: Readonly<Record<string, readonly number[]>>;
}

export interface MeasuredRender {
  tracks: Array<{ trackId: string; plugins: PluginReport[]; bands?: BandEnergy; resonances?: ResonanceDetection }>;
  mix: AudioAnalysis;
  balance?: { tracks: BalancedTrack[]; firstPassLufs: number | null; correctionDb: number };
}

/** A WAV produced by a worker, with the analysis of those exact bytes. */
export interface EncodedWav {
  wav: Uint8Array;
  analysis: AudioAnalysis;
}

export interface AudioTaskResults {
  'analyze-wav': { bytes: Uint8Array; analysis: AudioAnalysis };
  'analyze-file': { analysis: AudioAnalysis };
  'waveform-file': Waveform;
  'quality-file': { analysis: AudioAnalysis } & QualityMeasures;
  'measure-render': MeasuredRender;
  'export-mix': EncodedWav & { renderedPeakDbfs: number | null };
  'render-song': EncodedWav;
  master: EncodedWav & { processing: { inputLufs: number; gainDb: number; limiterReductionDb: number; iterations: number } };
}

export type AudioTaskKind = AudioTask['kind'];
export type TaskOf<K extends AudioTaskKind> = Extract<AudioTask, { kind: K }>;

/** A result and the buffers to move with it (never copied back to the caller). */
export interface TaskOutcome<K extends AudioTaskKind> {
  value: AudioTaskResults[K];
  transfer: ArrayBuffer[];
}

export interface TaskEnv {
  files: ReadableFiles;
  /** Only when the task runs inline; a worker's task is stopped by terminating the worker. */
  signal?: AbortSignal;
  /** The thread's MIDI renderer (the synth behind its render cache); the bare synth when absent. */
  renderMidi?: MidiRenderer;
  /** The thread's render cache, for the tracks' chain states; none kept when absent. */
  chains?: RenderDeps['chains'];
}

const withWav = (wav: Uint8Array) => ({ wav, analysis: analyzeWav(wav).analysis });
/** Every render here uses the built-in synth for MIDI tracks. */
const render = (project: Project, env: TaskEnv, trackIds?: readonly string[]) =>
  renderProject(project, { files: env.files, renderMidi: env.renderMidi ?? renderMidiWithSynth, chains: env.chains }, { signal: env.signal, trackIds });

const wants = (option: boolean | readonly string[] | undefined, id: string) => option === true || (Array.isArray(option) && option.includes(id));

/** The resonance figures asked for on one track, or none; the track's audio never leaves this thread. */
function resonancesOf(trackId: string, audio: AudioData, request: ResonanceRequest | undefined): { resonances?: ResonanceDetection } {
  const detect = wants(request?.detect, trackId);
  const probeHz = request?.probeHz?.[trackId];
  if (!detect && !probeHz) return {};
  return { resonances: detectResonances(audio, { detect, probeHz }) };
}

async function measureRender(project: Project, options: MeasureRenderOptions, env: TaskEnv): Promise<MeasuredRender> {
  const rendered = await render(project, env, options.trackIds);
  const tracks = rendered.tracks.map((t) => ({
    trackId: t.trackId,
    plugins: t.plugins,
    ...(wants(options.bands, t.trackId) ? { bands: bandEnergy(t.audio) } : {}),
    ...resonancesOf(t.trackId, t.audio, options.resonances),
  }));
  if (options.balanceTo === undefined) return { tracks, mix: analyzeAudio(rendered.mix) };
  const settings = new Map(project.tracks.map((t) => [t.id, t]));
  const balance = balanceLevels(
    rendered.tracks.map((r) => ({ ...settings.get(r.trackId)!, trackId: r.trackId, audio: r.audio })),
    options.balanceTo,
  );
  return { tracks, mix: analyzeAudio(balance.mix), balance: { tracks: balance.tracks, firstPassLufs: balance.firstPassLufs, correctionDb: balance.correctionDb } };
}

async function exportMix(task: TaskOf<'export-mix'>, env: TaskEnv): Promise<AudioTaskResults['export-mix']> {
  const { mix } = await render(task.project, env);
  const out = resample(mix, task.sampleRate);
  const renderedPeakDbfs = analyzeAudio(out).samplePeakDbfs;
  return { ...withWav(encodeWav(out, { bitDepth: task.bitDepth, format: task.bitDepth === 32 ? 'float' : 'pcm' })), renderedPeakDbfs };
}

async function renderSong(project: Project, env: TaskEnv): Promise<EncodedWav> {
  const { mix } = await render(project, env);
  // The parts' summed peaks can pass full scale; PCM would clip them. Leave 1 dB of headroom instead.
  const peakDb = gainToDb(samplePeak(mix));
  if (peakDb > -1) scaleInPlace(mix, -1 - peakDb);
  return withWav(encodeWav(mix, { bitDepth: 24, format: 'pcm' }));
}

async function master(task: TaskOf<'master'>, env: TaskEnv): Promise<AudioTaskResults['master']> {
  const { source } = task;
  let audio: AudioData;
  if ('fileId' in source) audio = decodeWav((await env.files.get(source.fileId)).data).audio;
  else if ('project' in source) audio = (await render(source.project, env)).mix;
  else audio = source.audio;
  const mastered = await masterAudio(audio, task.target, env.signal);
  const { inputLufs, gainDb, limiterReductionDb, iterations } = mastered;
  return { ...withWav(encodeWav(mastered.audio, { bitDepth: 24, format: 'pcm' })), processing: { inputLufs, gainDb, limiterReductionDb, iterations } };
}

const moving = <K extends AudioTaskKind>(value: AudioTaskResults[K], ...views: Uint8Array[]): TaskOutcome<K> => ({ value, transfer: ownBuffers(views) });

/** Runs one task, in a worker or inline; both go through here, so they cannot drift apart. */
export async function runAudioTask<K extends AudioTaskKind>(task: TaskOf<K>, env: TaskEnv): Promise<TaskOutcome<K>> {
  const t = task as AudioTask;
  let outcome: TaskOutcome<AudioTaskKind>;
  switch (t.kind) {
    case 'analyze-wav':
      outcome = moving<'analyze-wav'>({ bytes: t.bytes, analysis: analyzeWav(t.bytes).analysis }, t.bytes);
      break;
    case 'analyze-file':
      outcome = moving<'analyze-file'>({ analysis: analyzeWav((await env.files.get(t.fileId)).data).analysis });
      break;
    case 'quality-file': {
      const decoded = decodeWav((await env.files.get(t.fileId)).data);
      const analysis = analyzeAudio(decoded.audio, { bitDepth: decoded.bitDepth, format: decoded.format });
      outcome = moving<'quality-file'>({ analysis, ...measureQuality(decoded.audio, { silenceThresholdDbfs: t.silenceThresholdDbfs }) });
      break;
    }
    case 'waveform-file':
      outcome = moving<'waveform-file'>(computeWaveform(decodeWav((await env.files.get(t.fileId)).data).audio, t.points));
      break;
    case 'measure-render':
      outcome = moving<'measure-render'>(await measureRender(t.project, t.options, env));
      break;
    case 'export-mix': {
      const value = await exportMix(t, env);
      outcome = moving<'export-mix'>(value, value.wav);
      break;
    }
    case 'render-song': {
      const value = await renderSong(t.project, env);
      outcome = moving<'render-song'>(value, value.wav);
      break;
    }
    case 'master': {
      const value = await master(t, env);
      outcome = moving<'master'>(value, value.wav);
      break;
    }
  }
  return outcome as TaskOutcome<K>;
}
