import { createHash } from 'node:crypto';
import type { Track } from '../../storage';
import type { AudioData } from '../types';
import type { MidiRenderer } from './render-project';

export interface MidiRenderCacheOptions {
  /** An entry used this recently is never dropped to make room (default 60 s). */
  keepMs?: number;
  /** An entry unused this long is dropped (default 5 min), so an idle worker gives its memory back. */
  idleMs?: number;
  now?: () => number;
}

interface Entry {
  audio: AudioData;
  bytes: number;
  usedAt: number;
}

/**
 * Remembers what the synth rendered for a MIDI track, so the mixing steps (balance, EQ,
 * dynamics, spatial, export: each renders the whole project again) synthesise each part once
 * instead of once per step. A render depends only on the track's source (instrument and
 * notes), the tempo and the sample rate, which together are the key: an edited part is a new
 * key, never a stale answer. The synth is deterministic, so a cached render is the render.
 *
 * Bounded by bytes. A project's parts are rendered in turn, again and again: plain LRU would
 * drop each part just before it is asked for again whenever they do not all fit. So a new
 * render only replaces entries unused for `keepMs`; if that frees too little it is not kept,
 * and the parts already kept go on answering. Entries unused for `idleMs` are dropped. Every
 * answer is a copy: the plugin chain processes tracks in place. Per thread (each audio worker
 * has its own), and lost when a worker stops.
 */
export class MidiRenderCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly keepMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxBytes: number,
    options: MidiRenderCacheOptions = {},
  ) {
    this.keepMs = options.keepMs ?? 60_000;
    this.idleMs = options.idleMs ?? 300_000;
    this.now = options.now ?? Date.now;
    if (maxBytes > 0 && !options.now) this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000)).unref();
  }

  /** Frees every part and stops the idle sweep (the timer would otherwise keep the cache alive). */
  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** `render`, answered from the cache when the same part was rendered at the same tempo and rate. */
  wrap(render: MidiRenderer): MidiRenderer {
    if (this.maxBytes <= 0) return render;
    return (track, options) => {
      this.sweep();
      const key = keyOf(track, options);
      const cached = this.entries.get(key);
      if (cached) {
        this.hits++;
        cached.usedAt = this.now();
        // Most recently used last: the map's order is the order to drop in.
        this.entries.delete(key);
        this.entries.set(key, cached);
        return copyOf(cached.audio);
      }
      this.misses++;
      const audio = render(track, options);
      this.admit(key, audio);
      return audio;
    };
  }

  /** Drops entries unused for `idleMs`. */
  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [key, entry] of this.entries) {
      if (entry.usedAt >= cutoff) break;
      this.drop(key, entry);
    }
  }

  private admit(key: string, audio: AudioData): void {
    const bytes = audio.channels.reduce((sum, c) => sum + c.byteLength, 0);
    if (bytes > this.maxBytes) return;
    const now = this.now();
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes || old.usedAt > now - this.keepMs) break;
      this.drop(oldKey, old);
    }
    if (this.bytes + bytes > this.maxBytes) return;
    this.entries.set(key, { audio: copyOf(audio), bytes, usedAt: now });
    this.bytes += bytes;
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

function keyOf(track: Track, options: { bpm: number; sampleRate: number }): string {
  return createHash('sha256').update(JSON.stringify([track.source, options.bpm, options.sampleRate])).digest('hex');
}

function copyOf(audio: AudioData): AudioData {
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice()) };
}
