import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RenderCache, renderMidiWithSynth, renderProject, type MidiRenderer, type Plugin, type RenderedProject } from '../../src/dawg/audio/render';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import type { Project, Track } from '../../src/dawg/storage';

/** A MIDI track of `notes` eighth notes from `pitch` up. */
function part(instrument: string, pitch: number, notes = 8): Track {
  return {
    id: `t_${instrument}`,
    name: instrument,
    source: { kind: 'midi', instrument, notes: Array.from({ length: notes }, (_, i) => ({ pitch: pitch + (i % 5), velocity: 100, startBeats: i / 2, durationBeats: 0.5 })) },
    gainDb: 0,
    pan: 0,
    mute: false,
    solo: false,
    plugins: [],
  } as Track;
}

/** The synth, counting its calls. */
function countingSynth(): { render: MidiRenderer; calls: () => number } {
  let calls = 0;
  return {
    render: (track, options) => {
      calls++;
      return renderMidiWithSynth(track, options);
    },
    calls: () => calls,
  };
}

const at = { bpm: 120, sampleRate: 48_000 };
const bytesOf = (render: MidiRenderer, track: Track) => render(track, at).channels.reduce((n, c) => n + c.byteLength, 0);

describe('RenderCache: synth renders', () => {
  it('synthesises a part once and answers the same samples again, each time a copy of its own', () => {
    const synth = countingSynth();
    const cache = new RenderCache(64 * 2 ** 20);
    const render = cache.wrap(synth.render);
    const bass = part('bass', 40);
    const first = render(bass, at);
    const expected = renderMidiWithSynth(bass, at);
    expect(first.channels.map((c) => Array.from(c))).toEqual(expected.channels.map((c) => Array.from(c)));
    // The plugin chain works in place: what the first caller does to its audio is not the next one's.
    first.channels[0]!.fill(0);
    const second = render(bass, at);
    expect(synth.calls()).toBe(1);
    expect(second.channels.map((c) => Array.from(c))).toEqual(expected.channels.map((c) => Array.from(c)));
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
  });

  it('renders again when the notes, the instrument, the tempo or the rate differ', () => {
    const synth = countingSynth();
    const render = new RenderCache(64 * 2 ** 20).wrap(synth.render);
    const bass = part('bass', 40);
    render(bass, at);
    const moved = { ...bass, source: { ...bass.source, notes: (bass.source as { notes: object[] }).notes.map((n, i) => (i === 3 ? { ...n, velocity: 90 } : n)) } } as Track;
    render(moved, at);
    render(part('keys', 40), at);
    render(bass, { ...at, bpm: 121 });
    render(bass, { ...at, sampleRate: 44_100 });
    expect(synth.calls()).toBe(5);
    // Renaming a track or changing its fader does not change its sound: still a hit.
    render({ ...bass, id: 't_other', name: 'renamed', gainDb: -6, pan: 0.5 }, at);
    expect(synth.calls()).toBe(5);
  });

  it('keeps at most its budget: a new part replaces only parts unused for a while, else it is not kept', () => {
    const synth = countingSynth();
    const [a, b, c] = [part('bass', 40), part('bass', 45), part('bass', 50)];
    const size = bytesOf(renderMidiWithSynth, a);
    expect(bytesOf(renderMidiWithSynth, b)).toBe(size);
    let t = 0;
    const cache = new RenderCache(2.5 * size, { keepMs: 1_000, idleMs: 10_000, now: () => t });
    const render = cache.wrap(synth.render);
    render(a, at);
    render(b, at);
    // A project's parts in turn, more than fit: the ones kept go on answering (plain LRU would miss every time).
    for (let round = 0; round < 3; round++) for (const track of [a, b, c]) render(track, at);
    expect(synth.calls()).toBe(2 + 3);
    expect(cache.size).toEqual({ entries: 2, bytes: 2 * size });
    // Once a and b have not been used for keepMs, c may replace the least recently used (a).
    t = 5_000;
    render(b, at);
    t = 6_100;
    render(c, at);
    expect(synth.calls()).toBe(6);
    render(b, at);
    render(c, at);
    expect(synth.calls()).toBe(6);
    render(a, at);
    expect(synth.calls()).toBe(7);
    // Unused for idleMs: the memory is given back.
    t = 20_000;
    cache.sweep();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    // A part larger than the whole budget is rendered, never kept.
    const tiny = new RenderCache(size / 2, { now: () => t });
    const once = countingSynth();
    tiny.wrap(once.render)(a, at);
    tiny.wrap(once.render)(a, at);
    expect([once.calls(), tiny.size.entries]).toEqual([2, 0]);
  });

  it('close frees every part', () => {
    const cache = new RenderCache(64 * 2 ** 20);
    cache.wrap(renderMidiWithSynth)(part('bass', 40), at);
    expect(cache.size.entries).toBe(1);
    cache.close();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('with a budget of 0 is the synth itself', () => {
    const synth = countingSynth();
    expect(new RenderCache(0).wrap(synth.render)).toBe(synth.render);
  });
});

describe('RenderCache: chain states', () => {
  const eq = { type: 'eq', params: { bands: [{ type: 'peaking', freq: 800, gainDb: 4, q: 1 }] }, bypass: false } as Plugin;
  const compressor = { type: 'compressor', params: { thresholdDb: -20, ratio: 4, attackMs: 5, releaseMs: 80 }, bypass: false } as Plugin;
  const reverb = { type: 'reverb', params: { wet: 0.3 }, bypass: false } as Plugin;
  const width = { type: 'stereo-width', params: { widthPercent: 140 }, bypass: false } as Plugin;
  const project = (tracks: Track[]) => ({ id: 'p_chain', name: 'chain', sampleRate: 48_000, bpm: 120, tracks, version: 1, createdAt: '', updatedAt: '' }) as Project;
  const noFiles = { get: async () => Promise.reject(new Error('no files here')), meta: async () => Promise.reject(new Error('no files here')) };
  /** A render as digests of its samples (equal digests: equal to the bit) and its reports; a failure prints short. */
  const digest = (c: Float32Array) => createHash('sha256').update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)).digest('hex').slice(0, 16);
  const samples = (r: RenderedProject) => ({ mix: r.mix.channels.map(digest), tracks: r.tracks.map((t) => ({ id: t.trackId, plugins: t.plugins, audio: t.audio.channels.map(digest) })) });
  /** The same render without any cache: what every cached render must equal, sample for sample. */
  const uncached = (p: Project) => renderProject(p, { files: noFiles, renderMidi: renderMidiWithSynth });

  it('continues from the kept state when its plugins start the chain, and ends where a full render ends', async () => {
    const cache = new RenderCache(256 * 2 ** 20);
    const deps = { files: noFiles, renderMidi: cache.wrap(renderMidiWithSynth), chains: cache };
    const bass = part('bass', 40, 16);
    const steps: Plugin[][] = [[eq], [eq, compressor], [eq, compressor, reverb, width], [eq, compressor, reverb, width]];
    for (const [n, plugins] of steps.entries()) {
      const p = project([{ ...bass, plugins }]);
      const cached = await renderProject(p, deps);
      expect({ step: n, ...samples(cached) }).toEqual({ step: n, ...samples(await uncached(p)) });
    }
    // The first render synthesised, the next two continued from a prefix, the last was all kept.
    expect({ synth: cache.misses, chainHits: cache.chainHits, chainMisses: cache.chainMisses }).toEqual({ synth: 1, chainHits: 3, chainMisses: 1 });
    // One entry per track: the chain state replaced its synth render.
    expect(cache.size.entries).toBe(1);
  });

  it('starts again from the source when an earlier plugin changed (params, bypass, order), with the right reports and field names', async () => {
    const cache = new RenderCache(256 * 2 ** 20);
    const deps = { files: noFiles, renderMidi: cache.wrap(renderMidiWithSynth), chains: cache };
    const bass = part('bass', 40, 16);
    const variants: Plugin[][] = [
      [eq, compressor],
      [{ ...eq, params: { bands: [{ type: 'peaking', freq: 800, gainDb: 5, q: 1 }] } }, compressor],
      [{ ...eq, bypass: true }, compressor],
      [compressor, eq],
      [eq, compressor],
    ];
    for (const [n, plugins] of variants.entries()) {
      const p = project([{ ...bass, plugins }]);
      expect({ variant: n, ...samples(await renderProject(p, deps)) }).toEqual({ variant: n, ...samples(await uncached(p)) });
    }
    expect(cache.chainHits).toBe(0);
    // A bad param after a kept prefix is named at its own index in the chain.
    await renderProject(project([{ ...bass, plugins: [eq, compressor] }]), deps);
    await expect(renderProject(project([{ ...bass, plugins: [eq, compressor, { type: 'reverb', params: { wet: 7 }, bypass: false } as Plugin] }]), deps)).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'tracks.0.plugins.2.params.wet' })] },
    });
  });

  it('keeps no state for a track without plugins, none without a budget, and gives every caller its own copy', async () => {
    const cache = new RenderCache(256 * 2 ** 20);
    const bass = part('bass', 40, 16);
    await renderProject(project([bass]), { files: noFiles, renderMidi: cache.wrap(renderMidiWithSynth), chains: cache });
    expect(cache.chainState(bass, { bpm: 120, sampleRate: 48_000 })).toBeUndefined();
    const off = new RenderCache(0);
    const withEq = { ...bass, plugins: [eq] };
    await renderProject(project([withEq]), { files: noFiles, renderMidi: renderMidiWithSynth, chains: off });
    expect([off.size.entries, off.chainState(withEq, { bpm: 120, sampleRate: 48_000 })]).toEqual([0, undefined]);

    await renderProject(project([withEq]), { files: noFiles, renderMidi: cache.wrap(renderMidiWithSynth), chains: cache });
    const first = cache.chainState(withEq, { bpm: 120, sampleRate: 48_000 })!;
    const before = Array.from(first.audio.channels[0]!.subarray(0, 1000));
    first.audio.channels[0]!.fill(0);
    first.reports[0]!.bypassed = true;
    const again = cache.chainState(withEq, { bpm: 120, sampleRate: 48_000 })!;
    expect([Array.from(again.audio.channels[0]!.subarray(0, 1000)), again.reports[0]!.bypassed]).toEqual([before, false]);
  });
});

describe('renders through the audio workers with and without the cache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'render-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measure the same mix, render after render, as the chains grow', async () => {
    const compressor = { type: 'compressor', params: { thresholdDb: -20, ratio: 4 }, bypass: false };
    const reverb = { type: 'reverb', params: { wet: 0.2 }, bypass: false };
    const tracks = [part('bass', 40, 16), { ...part('drums', 36, 16), id: 't_drums' }];
    const chains = [[], [compressor], [compressor, reverb]];
    const measured = async (pool: AudioWorkerPool) => {
      try {
        const runs = [];
        for (const plugins of chains) {
          const project = { id: 'p_cache', name: 'cache', sampleRate: 48_000, bpm: 120, tracks: tracks.map((t) => ({ ...t, plugins })) } as unknown as Project;
          for (let i = 0; i < 2; i++) runs.push(await pool.measureRender(project, { bands: true, balanceTo: -14 }));
        }
        return runs;
      } finally {
        await pool.close();
      }
    };
    const plain = await measured(new AudioWorkerPool({ workers: 0, filesDir: dir }));
    const cachedInline = await measured(new AudioWorkerPool({ workers: 0, filesDir: dir, renderCacheBytes: 64 * 2 ** 20 }));
    const cachedWorker = await measured(new AudioWorkerPool({ workers: 1, filesDir: dir, renderCacheBytes: 64 * 2 ** 20 }));
    expect(cachedInline).toEqual(plain);
    expect(cachedWorker).toEqual(plain);
    // Each chain measures the same twice, and the chains differ (the test would pass on one figure otherwise).
    for (const k of [0, 2, 4]) expect(plain[k + 1]).toEqual(plain[k]);
    expect(plain[2]).not.toEqual(plain[0]);
    expect(plain[4]).not.toEqual(plain[2]);
  }, 60_000);
});
