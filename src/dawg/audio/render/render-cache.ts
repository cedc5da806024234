import { createHash } from 'node:crypto';
import type { Track } from '../../storage';
import type { AudioData } from '../types';
import type { PluginReport } from './plugin-chain';
import type { MidiRenderer } from './render-project';

export interface RenderCacheOptions {
  /** An entry used this recently is never dropped to make room (default 60 s). */
  keepMs?: number;
  /** An entry unused this long is dropped (default 5 min), so an idle worker gives its memory back. */
  idleMs?: number;
  now?: () => number;
}

/** What a render depends on besides the track: the project's tempo and rate. */
export interface RenderAt {
  bpm: number;
  sampleRate: number;
}

/** A track's audio after the first `applied` plugins of its chain, with their reports. */
export interface ChainState {
  applied: number;
  audio: AudioData;
  reports: PluginReport[];
}

interface Entry {
  audio: AudioData;
  bytes: number;
  usedAt: number;
  /** Chain states only: the plugins applied (as JSON, one string each) and what they reported. */
  chain?: { plugins: string[]; reports: PluginReport[]; source: string };
}

/**
 * What the audio engine keeps between renders of a project, so the mixing steps (balance, EQ,
 * dynamics, spatial, export: each renders the whole project again) do not redo each other's
 * work:
 *
 * - **synth renders** of MIDI parts (`wrap`): a render depends only on the track's source
 *   (instrument and notes), the tempo and the rate, which together are the key;
 * - **chain states** (`chainState` / `keepChainState`): one per track source, its audio after
 *   the plugin chain of the last render. The next render continues from it when that chain is
 *   a prefix of its own (spatial processing after dynamics adds two plugins to the same EQ and
 *   compressor; export renders the chain spatial processing stored).
 *
 * The engine is deterministic, so a kept answer is the render; any change to the source,
 * tempo, rate or a plugin (params, bypass, order) is another key, never a stale answer.
 *
 * Bounded by bytes, shared by both kinds. A project's tracks are rendered in turn, again and
 * again: plain LRU would drop each just before it is asked for again whenever they do not all
 * fit. So a new entry only replaces entries unused for `keepMs`; if that frees too little it
 * is not kept, and what is kept goes on answering. A track's new chain state first replaces
 * its old one and its synth render, so a track holds one entry (a 180 s stereo part: 69 MB).
 * Entries unused for `idleMs` are dropped. Every answer is a copy: the plugin chain
 * processes tracks in place. Per thread (each audio worker has its own; the pool's
 * AffinityBalancer sends a project back to the worker that rendered it), lost when it stops.
 */
export class RenderCache {
  private readonly entries = new Map<string, Entry>();
  /** Track source key → the key of its chain state. */
  private readonly chains = new Map<string, string>();
  private bytes = 0;
  private readonly keepMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;
  hits = 0;
  misses = 0;
  chainHits = 0;
  chainMisses = 0;

  constructor(
    private readonly maxBytes: number,
    options: RenderCacheOptions = {},
  ) {
    this.keepMs = options.keepMs ?? 60_000;
    this.idleMs = options.idleMs ?? 300_000;
    this.now = options.now ?? Date.now;
    if (maxBytes > 0 && !options.now) this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000)).unref();
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Frees everything and stops the idle sweep (the timer would otherwise keep the cache alive). */
  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.chains.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** `render`, answered from the cache when the same part was rendered at the same tempo and rate. */
  wrap(render: MidiRenderer): MidiRenderer {
    if (!this.enabled) return render;
    return (track, options) => {
      this.sweep();
      const key = `synth:${sourceKey(track, options)}`;
      const cached = this.use(key);
      if (cached) {
        this.hits++;
        return copyOf(cached.audio);
      }
      this.misses++;
      const audio = render(track, options);
      this.admit(key, audio);
      return audio;
    };
  }

  /**
   * A copy of the track's kept chain state if the plugins it applied are the first plugins of
   * `track.plugins` (all of them, or a prefix to continue from); undefined otherwise.
   */
  chainState(track: Track, at: RenderAt): ChainState | undefined {
    if (!this.enabled) return undefined;
    this.sweep();
    const key = this.chains.get(sourceKey(track, at));
    const entry = key === undefined ? undefined : this.entries.get(key);
    const kept = entry?.chain;
    if (!kept || kept.plugins.length > track.plugins.length || !kept.plugins.every((p, m) => p === JSON.stringify(track.plugins[m]))) {
      this.chainMisses++;
      return undefined;
    }
    this.use(key!);
    this.chainHits++;
    return { applied: kept.plugins.length, audio: copyOf(entry.audio), reports: kept.reports.map((r) => ({ ...r })) };
  }

  /** Keeps `audio`, the track's audio after its whole plugin chain, as the track's chain state (a copy). */
  keepChainState(track: Track, at: RenderAt, audio: AudioData, reports: readonly PluginReport[]): void {
    if (!this.enabled || track.plugins.length === 0) return;
    const source = sourceKey(track, at);
    const plugins = track.plugins.map((p) => JSON.stringify(p));
    const key = `chain:${source}:${hash(JSON.stringify(plugins))}`;
    if (this.entries.has(key)) return;
    // The new state replaces the track's old one, and its synth render: the next renders
    // continue from the state; only a change early in the chain needs the source again.
    const previous = this.chains.get(source);
    if (previous !== undefined) this.drop(previous);
    this.drop(`synth:${source}`);
    this.admit(key, audio, { plugins, reports: reports.map((r) => ({ ...r })), source });
  }

  /** Drops entries unused for `idleMs`. */
  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [key, entry] of this.entries) {
      if (entry.usedAt >= cutoff) break;
      this.drop(key);
    }
  }

  /** The entry under `key`, marked used (most recently used last: the map's order is the order to drop in). */
  private use(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.usedAt = this.now();
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Keeps a copy of `audio` under `key` if room can be made (never by dropping entries used within `keepMs`). */
  private admit(key: string, audio: AudioData, chain?: Entry['chain']): void {
    const bytes = bytesOf(audio);
    if (bytes > this.maxBytes) return;
    const now = this.now();
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes || old.usedAt > now - this.keepMs) break;
      this.drop(oldKey);
    }
    if (this.bytes + bytes > this.maxBytes) return;
    this.entries.set(key, { audio: copyOf(audio), bytes, usedAt: now, ...(chain ? { chain } : {}) });
    this.bytes += bytes;
    if (chain) this.chains.set(chain.source, key);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    if (entry.chain && this.chains.get(entry.chain.source) === key) this.chains.delete(entry.chain.source);
  }
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

function sourceKey(track: Track, at: RenderAt): string {
  return hash(JSON.stringify([track.source, at.bpm, at.sampleRate]));
}

function bytesOf(audio: AudioData): number {
  return audio.channels.reduce((sum, c) => sum + c.byteLength, 0);
}

function copyOf(audio: AudioData): AudioData {
  return { sampleRate: audio.sampleRate, channels: audio.channels.map((c) => c.slice()) };
}
