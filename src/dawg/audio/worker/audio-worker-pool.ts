import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Piscina from 'piscina';
import { AppError, UnavailableError } from '../../../common/errors';
import type { Logger } from '../../../common/logger';
import { FileStore, type Project } from '../../storage';
import type { AudioAnalysis } from '../analysis';
import { RenderCache, renderMidiWithSynth, type MidiRenderer } from '../render';
import type { AudioData, BitDepth } from '../types';
import type { Waveform } from '../waveform';
import { runAudioTask, type AudioTaskKind, type AudioTaskResults, type MasterSource, type MeasureRenderOptions, type ReadableFiles, type TaskOf } from './audio-tasks';
import type { AudioWorkerData, WorkerReply } from './audio-worker';
import { AffinityBalancer, type AffinityOptions } from './affinity-balancer';
import { rebuildError } from '../../../common/worker-errors';
import { movable, ownBuffers } from './transfer';

export interface AudioWorkerPoolOptions {
  /** Worker threads (AI_DAWG_AUDIO_WORKERS). 0 runs every task inline on the calling thread, for debugging. */
  workers: number;
  /** The DAWG's file store directory; workers read stored files from it themselves. */
  filesDir: string;
  /** Told when a worker fails (crash, out of memory), with the cause the HTTP answer leaves out. */
  logger?: Logger;
  /** The worker entry; the real one unless a test injects one that fails. */
  filename?: string;
  /** How long a thread beyond the first may sit idle before it is stopped. Default 60 s. */
  idleTimeoutMs?: number;
  /** Tasks that may wait for a free thread; more are refused with 503 AUDIO_BUSY. Default 32. */
  maxQueue?: number;
  /** Bytes of synth renders each thread keeps for the next render of the same part (AI_DAWG_RENDER_CACHE_MB). Default 0: none. */
  renderCacheBytes?: number;
}

/**
 * The AI DAWG's audio work (renders, masters, WAV encoding and analysis) on worker threads,
 * so a long render never holds the event loop that answers /health and every other request.
 *
 * Each method is one task: its arguments go to a worker (buffers moved, not copied), its
 * errors come back as the same AppError classes with the same status, code and details, and
 * the `signal` stops it — by terminating the worker running it, since CPU-bound audio code
 * cannot look at a flag. Results that carry bytes (an encoded WAV) are moved back.
 */
export class AudioWorkerPool {
  private readonly pool?: Piscina<unknown, unknown>;
  private readonly inlineFiles?: ReadableFiles;
  private readonly inlineRenderMidi?: MidiRenderer;
  private readonly inlineRenderCache?: RenderCache;
  private readonly logger?: Logger;
  private readonly maxQueue: number;
  private readonly balancer = new AffinityBalancer();

  constructor(options: AudioWorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 0) throw new Error(`AudioWorkerPool: workers must be a whole number ≥ 0, got ${options.workers}`);
    this.logger = options.logger;
    this.maxQueue = options.maxQueue ?? 32;
    if (options.workers === 0) {
      this.inlineFiles = new FileStore({ dir: options.filesDir, maxBytes: 0 });
      this.inlineRenderCache = new RenderCache(options.renderCacheBytes ?? 0);
      this.inlineRenderMidi = this.inlineRenderCache.wrap(renderMidiWithSynth);
      return;
    }
    const filename = options.filename ?? path.join(__dirname, 'audio-worker.ts');
    const workerData: AudioWorkerData = { filesDir: options.filesDir, renderCacheBytes: options.renderCacheBytes ?? 0 };
    this.pool = new Piscina({
      filename,
      minThreads: 1,
      maxThreads: options.workers,
      idleTimeout: options.idleTimeoutMs ?? 60_000,
      workerData,
      // A project's renders go to the worker whose render cache holds it, when that worker is free.
      loadBalancer: this.balancer.balance,
      ...workerExecArgv(filename),
    });
  }

  /** Worker threads running now (none inline); their ids, for diagnostics. */
  get threadIds(): number[] {
    return this.pool?.threads.map((t) => t.threadId) ?? [];
  }

  /**
   * Decodes (so validates) and measures a WAV. The bytes are moved to the worker and back:
   * do not use `bytes` after the call (a worker detaches it), use the returned copy.
   */
  analyzeWav(bytes: Uint8Array, signal?: AbortSignal): Promise<AudioTaskResults['analyze-wav']> {
    const own = ownBuffers([bytes]).length > 0 ? bytes : new Uint8Array(bytes);
    return this.run({ kind: 'analyze-wav', bytes: own }, ownBuffers([own]), signal);
  }

  /** Measures a stored WAV, read by the worker from the file store. */
  analyzeFile(fileId: string, signal?: AbortSignal): Promise<{ analysis: AudioAnalysis }> {
    return this.run({ kind: 'analyze-file', fileId }, [], signal);
  }

  /** A stored WAV's waveform in `points` buckets and its loudness curve, read and decoded by the worker. */
  waveformFile(fileId: string, points: number, signal?: AbortSignal): Promise<Waveform> {
    return this.run({ kind: 'waveform-file', fileId, points }, [], signal);
  }

  /** A stored WAV's analysis plus clipping and silence (testing.audio-check), read and decoded by the worker. */
  qualityFile(fileId: string, silenceThresholdDbfs: number, signal?: AbortSignal): Promise<AudioTaskResults['quality-file']> {
    return this.run({ kind: 'quality-file', fileId, silenceThresholdDbfs }, [], signal);
  }

  /** Renders a project (or some of its tracks) and returns only figures: plugin reports, band energy, resonances, the mix's analysis, a level balance. */
  measureRender(project: Project, options: MeasureRenderOptions, signal?: AbortSignal): Promise<AudioTaskResults['measure-render']> {
    return this.run({ kind: 'measure-render', project, options }, [], signal, project.id);
  }

  /** Renders a project's mix to a WAV at `sampleRate` and `bitDepth` (32 = float). */
  exportMix(project: Project, format: { sampleRate: number; bitDepth: BitDepth }, signal?: AbortSignal): Promise<AudioTaskResults['export-mix']> {
    return this.run({ kind: 'export-mix', project, ...format }, [], signal, project.id);
  }

  /** Renders a generated song's project to a 24-bit WAV with 1 dB of headroom. */
  renderSong(project: Project, signal?: AbortSignal): Promise<AudioTaskResults['render-song']> {
    return this.run({ kind: 'render-song', project }, [], signal, project.id);
  }

  /**
   * Masters a stored WAV, a project's mix, or audio the caller holds (whose channels are moved
   * to the worker: do not use them after the call) to a loudness target, as a 24-bit WAV.
   */
  master(source: MasterSource, target: { lufs: number; truePeakDbtp: number }, signal?: AbortSignal): Promise<AudioTaskResults['master']> {
    if (!('audio' in source)) return this.run({ kind: 'master', source, target }, [], signal, 'project' in source ? source.project.id : undefined);
    const audio: AudioData = { sampleRate: source.audio.sampleRate, channels: source.audio.channels.map((c) => (ownBuffers([c]).length > 0 ? c : c.slice())) };
    return this.run({ kind: 'master', source: { audio }, target }, ownBuffers(audio.channels), signal);
  }

  /** Stops the workers; tasks still running or queued fail. */
  async close(): Promise<void> {
    this.inlineRenderCache?.close();
    await this.pool?.destroy();
  }

  /** `affinity`: the project whose renders the task continues (see AffinityBalancer). */
  private async run<K extends AudioTaskKind>(task: TaskOf<K>, transfer: ArrayBuffer[], signal?: AbortSignal, affinity?: string): Promise<AudioTaskResults[K]> {
    signal?.throwIfAborted();
    if (!this.pool) return (await runAudioTask(task, { files: this.inlineFiles!, signal, renderMidi: this.inlineRenderMidi, chains: this.inlineRenderCache })).value;
    // A backlog of minutes-long renders helps nobody: refuse early and say when to come back.
    if (this.pool.queueSize >= this.maxQueue) {
      throw new UnavailableError('AUDIO_BUSY', `The audio engine is busy: ${this.pool.queueSize} audio tasks are waiting for a worker; try again later`, { queued: this.pool.queueSize }, { retryAfterSeconds: 10 });
    }
    let reply: WorkerReply<K>;
    try {
      const queueOptions: AffinityOptions | undefined = affinity === undefined ? undefined : { affinity };
      reply = (await this.pool.run(movable(task, transfer, queueOptions), signal ? { signal } : {})) as WorkerReply<K>;
    } catch (err) {
      // Aborted: the same rejection as the inline code's signal.throwIfAborted().
      if (signal?.aborted) throw signal.reason;
      this.logger?.error('audio worker failed', { task: task.kind, err });
      throw new AppError(
        500,
        'AUDIO_WORKER_FAILED',
        'The audio worker stopped before finishing this request (it may have run out of memory); nothing was stored and the AI DAWG is still running',
        { task: task.kind },
        { cause: err },
      );
    }
    if (!reply.ok) throw rebuildError(reply.error);
    return reply.value;
  }
}

/**
 * A TypeScript worker needs tsx. Under `node --import tsx` workers inherit it with the
 * parent's execArgv; under jest (an swc transform inside a vm) the worker is a real thread
 * outside jest's module system, so it gets the loader explicitly.
 */
function workerExecArgv(filename: string): { execArgv?: string[] } {
  if (!filename.endsWith('.ts') || process.execArgv.some((arg) => arg.includes('tsx'))) return {};
  return { execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href] };
}
