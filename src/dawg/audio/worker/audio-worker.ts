import { workerData } from 'node:worker_threads';
import { FileStore } from '../../storage';
import { RenderCache, renderMidiWithSynth } from '../render';
import { runAudioTask, type AudioTask, type AudioTaskKind, type AudioTaskResults } from './audio-tasks';
import { serializeError, type SerializedError } from '../../../common/worker-errors';
import { movable } from './transfer';

/** What the pool gives every worker at start. */
export interface AudioWorkerData {
  /** The DAWG's file store directory, which workers read (never write). */
  filesDir: string;
  /** Bytes of synth renders and chain states each worker keeps (AI_DAWG_RENDER_CACHE_MB); 0 keeps none. */
  renderCacheBytes: number;
}

/**
 * A worker's answer. Errors are a value, not a rejection, so that a rejection of the pool's
 * promise always means the worker itself failed (crashed, ran out of memory, was stopped).
 */
export type WorkerReply<K extends AudioTaskKind = AudioTaskKind> = { ok: true; value: AudioTaskResults[K] } | { ok: false; error: SerializedError };

// This file is the worker thread's entry point and so its composition root: one file store
// on the same directory as the main thread's. maxBytes bounds writes only, and workers never write.
const files = new FileStore({ dir: (workerData as AudioWorkerData).filesDir, maxBytes: 0 });
const cache = new RenderCache((workerData as AudioWorkerData).renderCacheBytes);
const renderMidi = cache.wrap(renderMidiWithSynth);

/** Piscina calls this with each task posted to the pool. */
export default async function runInWorker(task: AudioTask): Promise<unknown> {
  try {
    const { value, transfer } = await runAudioTask(task, { files, renderMidi, chains: cache });
    const reply: WorkerReply = { ok: true, value };
    // The encoded WAV's buffer moves to the main thread instead of being copied.
    return movable(reply, transfer);
  } catch (err) {
    const reply: WorkerReply = { ok: false, error: serializeError(err) };
    return reply;
  }
}
