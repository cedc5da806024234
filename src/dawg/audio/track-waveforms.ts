import { AppError } from '../../common/errors';
import type { FileStore } from '../storage';
import type { Waveform } from './waveform';
import type { AudioWorkerPool } from './worker';

/** A stored file's waveform, as the file routes answer it. */
export interface TrackWaveform extends Waveform {
  id: string;
}

export interface TrackWaveformsOptions {
  files: Pick<FileStore, 'meta'>;
  audio: Pick<AudioWorkerPool, 'waveformFile'>;
  /** Content types whose files are WAV, hence have a waveform. */
  wavTypes: readonly string[];
  /** Waveforms kept in memory, least recently used dropped first. Default 64 (≈ 100 KB each at 4,000 points). */
  cacheEntries?: number;
}

/**
 * Waveforms of stored files, computed on the audio workers and kept in a small in-memory LRU.
 *
 * Memory rather than a file next to the audio: a waveform is derived data that one worker
 * pass recomputes, the file store's invariant (a file is its .bin and .json, nothing else)
 * stays as it is, nothing needs cleaning up when a file is deleted, and a change to how
 * waveforms are computed needs no migration. The cost is one recomputation per (file, points)
 * after a restart. Entries are keyed by id and points only: stored files never change and
 * ids are never reused. The metadata is read on every call, cached or not, so a deleted file
 * answers 404 at once.
 */
export class TrackWaveforms {
  private readonly cache = new Map<string, TrackWaveform>();
  private readonly capacity: number;

  constructor(private readonly options: TrackWaveformsOptions) {
    this.capacity = options.cacheEntries ?? 64;
    if (!Number.isInteger(this.capacity) || this.capacity < 0) throw new Error(`TrackWaveforms: cacheEntries must be a whole number ≥ 0, got ${this.capacity}`);
  }

  /** 404 FILE_NOT_FOUND for an unknown id, 415 for a stored file that is not a WAV, 400 for a WAV that does not decode. */
  async get(id: string, points: number, signal?: AbortSignal): Promise<TrackWaveform> {
    const meta = await this.options.files.meta(id);
    if (!this.options.wavTypes.includes(meta.contentType)) {
      throw new AppError(415, 'UNSUPPORTED_AUDIO_FORMAT', `File ${id} is ${meta.contentType}; waveforms exist for WAV files only`, {
        issues: [{ field: 'file', message: `is ${meta.contentType}, not a WAV file` }],
      });
    }
    const key = `${id}:${points}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const waveform: TrackWaveform = { id, ...(await this.options.audio.waveformFile(id, points, signal)) };
    this.remember(key, waveform);
    return waveform;
  }

  private remember(key: string, waveform: TrackWaveform): void {
    if (this.capacity === 0) return;
    this.cache.set(key, waveform);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
  }
}
