import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MidiRenderCache, renderMidiWithSynth, type MidiRenderer } from '../../src/dawg/audio/render';
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

describe('MidiRenderCache', () => {
  it('synthesises a part once and answers the same samples again, each time a copy of its own', () => {
    const synth = countingSynth();
    const cache = new MidiRenderCache(64 * 2 ** 20);
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
    const render = new MidiRenderCache(64 * 2 ** 20).wrap(synth.render);
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
    const cache = new MidiRenderCache(2.5 * size, { keepMs: 1_000, idleMs: 10_000, now: () => t });
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
    const tiny = new MidiRenderCache(size / 2, { now: () => t });
    const once = countingSynth();
    tiny.wrap(once.render)(a, at);
    tiny.wrap(once.render)(a, at);
    expect([once.calls(), tiny.size.entries]).toEqual([2, 0]);
  });

  it('close frees every part', () => {
    const cache = new MidiRenderCache(64 * 2 ** 20);
    cache.wrap(renderMidiWithSynth)(part('bass', 40), at);
    expect(cache.size.entries).toBe(1);
    cache.close();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('with a budget of 0 is the synth itself', () => {
    const synth = countingSynth();
    expect(new MidiRenderCache(0).wrap(synth.render)).toBe(synth.render);
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

  it('measure the same mix, render after render', async () => {
    const project = { id: 'p_cache', name: 'cache', sampleRate: 48_000, bpm: 120, tracks: [part('bass', 40, 16), { ...part('drums', 36, 16), id: 't_drums' }] } as unknown as Project;
    const measured = async (pool: AudioWorkerPool) => {
      try {
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(await pool.measureRender(project, { bands: true, balanceTo: -14 }));
        return runs;
      } finally {
        await pool.close();
      }
    };
    const plain = await measured(new AudioWorkerPool({ workers: 0, filesDir: dir }));
    const cachedInline = await measured(new AudioWorkerPool({ workers: 0, filesDir: dir, renderCacheBytes: 64 * 2 ** 20 }));
    const cachedWorker = await measured(new AudioWorkerPool({ workers: 1, filesDir: dir, renderCacheBytes: 64 * 2 ** 20 }));
    for (const runs of [cachedInline, cachedWorker]) for (const run of runs) expect(run).toEqual(plain[0]);
    expect(plain[1]).toEqual(plain[0]);
  }, 60_000);
});
