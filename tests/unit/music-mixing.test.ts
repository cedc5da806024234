import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyGainPan } from '../../src/dawg/audio/dsp';
import { decodeWav, encodeWav } from '../../src/dawg/audio/io';
import { measureLoudness } from '../../src/dawg/audio/loudness';
import { eqProfileBands, renderProject } from '../../src/dawg/audio/render';
import type { AudioData } from '../../src/dawg/audio/types';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createMusicModule } from '../../src/dawg/modules/music';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { silentLogger } from '../helpers/logger';
import { mulberry32 } from '../helpers/random';

const RATE = 48_000;
const SECONDS = 2;
/** The parts of the actions' results these tests read. */
interface Bands {
  lowDb: number;
  midDb: number;
  lowShare: number;
}
interface Mix {
  integratedLufs: number;
  correlation: number;
  stereoWidthPercent: number;
}
interface Resonance {
  frequencyHz: number;
  excessDb: number;
  q: number;
  cutDb: number;
  persistence: number;
  levelDbBefore: number;
  levelDbAfter: number | null;
  excessDbAfter: number | null;
}
interface Result {
  id: string;
  trackId: string;
  fileId: string;
  url: string;
  resonanceCorrection: string;
  delays: unknown[];
  mix: Mix;
  analysis: Mix & { bitDepth: number };
  tracks: Array<{
    gainDb: number;
    maxGainReductionDb: number;
    bands?: Bands & Record<string, unknown>;
    bandEnergyBefore: Bands;
    bandEnergyAfter: Bands;
    resonanceCorrection: string;
    resonances: Resonance[];
  }>;
}

let dir: string;
let files: FileStore;
let projects: ProjectStore;
let registry: ModuleRegistry;
const run = (action: string, params: Record<string, unknown>) =>
  registry.execute({ module: 'music', action, params }, { requestId: 'test', signal: new AbortController().signal, logger: silentLogger() }).then((r) => r.result as Result);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mixing-'));
  files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 20_000_000 });
  projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  registry = new ModuleRegistry();
  // Inline (0 workers): these are the actions' unit tests; the worker threads have their own.
  registry.register(createMusicModule({ projects, files, audio: new AudioWorkerPool({ workers: 0, filesDir: path.join(dir, 'files') }) }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Mono sum of sines ([freq, amplitude] pairs) plus seeded white noise of `noise` amplitude. */
function signal(partials: Array<[number, number]>, noise = 0, rate = RATE): AudioData {
  const out = new Float32Array(rate * SECONDS);
  let seed = 12345;
  for (let i = 0; i < out.length; i++) {
    let x = 0;
    for (const [f, a] of partials) x += a * Math.sin((2 * Math.PI * f * i) / rate);
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = x + noise * (seed / 2 ** 31 - 1);
  }
  return { sampleRate: rate, channels: [out] };
}

async function projectWith(tracks: Array<{ name: string; audio: AudioData; gainDb?: number }>): Promise<{ projectId: string; trackIds: string[] }> {
  const project = await run('create-project', { name: 'Neon Dreams', bpm: 120, sampleRate: RATE });
  const trackIds: string[] = [];
  for (const t of tracks) {
    const stored = await files.put(encodeWav(t.audio, { bitDepth: 24, format: 'pcm' }), { name: `${t.name}.wav`, contentType: 'audio/wav' });
    const added = await run('add-track', { projectId: project.id, name: t.name, source: { kind: 'audio', fileId: stored.id }, gainDb: t.gainDb ?? 0 });
    trackIds.push(added.trackId);
  }
  return { projectId: project.id, trackIds };
}

const stereoCopy = (a: AudioData): AudioData => ({ sampleRate: a.sampleRate, channels: [a.channels[0]!.slice(), a.channels[0]!.slice()] });

describe('music module: mixing actions', () => {
  it('balance-levels sets equal track loudness and lands the mix at the target, storing the gains', async () => {
    const sources = [
      { name: 'bass', audio: signal([[110, 0.5]]) },
      { name: 'hats', audio: signal([], 0.05), gainDb: -6 },
      { name: 'lead', audio: signal([[880, 0.1], [1320, 0.05]], 0.01, 44_100) },
    ];
    const { projectId, trackIds } = await projectWith(sources);
    const result = await run('balance-levels', { projectId, targetLUFS: -16 });
    expect(Math.abs(result.mix.integratedLufs - -16)).toBeLessThanOrEqual(1);
    expect(result.tracks).toHaveLength(3);
    expect(result.tracks[0]).toMatchObject({ trackId: trackIds[0], name: 'bass', status: 'balanced', bands: expect.objectContaining({ lowShare: expect.any(Number) }) });
    expect(result.tracks[0]!.bands!.lowShare).toBeGreaterThan(0.9);

    // Measured independently: each stored fader on the source signal (at the project rate).
    const stored = await projects.get(projectId);
    const loudness = await Promise.all(
      stored.tracks.map(async (t) => {
        // renderProject only to bring the 44.1 kHz source to the project rate; the tracks have no plugins.
        const rendered = await renderProject({ ...stored, tracks: [t] }, { files });
        return measureLoudness(applyGainPan(stereoCopy({ sampleRate: RATE, channels: [rendered.tracks[0]!.audio.channels[0]!] }), { gainDb: t.gainDb, pan: t.pan })).integratedLufs!;
      }),
    );
    expect(Math.max(...loudness) - Math.min(...loudness)).toBeLessThan(1);
    expect(stored.tracks.map((t) => t.gainDb)).toEqual(result.tracks.map((t) => t.gainDb));

    const exported = await run('export-mix', { projectId });
    expect(Math.abs(exported.analysis.integratedLufs - -16)).toBeLessThanOrEqual(1);
  });

  it('leaves silent and muted tracks alone and reports them', async () => {
    const { projectId, trackIds } = await projectWith([
      { name: 'tone', audio: signal([[440, 0.3]]) },
      { name: 'silence', audio: signal([]), gainDb: -3 },
    ]);
    const result = await run('balance-levels', { projectId, analyzeFrequencies: false });
    expect(result.tracks[1]).toMatchObject({ trackId: trackIds[1], status: 'silent', gainDb: -3, lufsBefore: null });
    expect(result.tracks[1]!.bands).toBeUndefined();
    expect(Math.abs(result.mix.integratedLufs - -14)).toBeLessThanOrEqual(1);
  });

  it("apply-eq 'low-cut' reduces the low band of a 60 Hz + 1 kHz track; the held 1 kHz tone is cut, the 60 Hz one is out of range", async () => {
    const { projectId, trackIds } = await projectWith([{ name: 'mixed', audio: signal([[60, 0.4], [1000, 0.4]]) }]);
    const result = await run('apply-eq', { projectId, trackIds, eqProfile: 'low-cut', autoCorrectResonances: false });
    expect(result.resonanceCorrection).toBe('not-requested');
    const track = result.tracks[0]!;
    expect(track.bands as unknown).toEqual([expect.objectContaining({ type: 'high-pass', freq: 120 }), expect.objectContaining({ type: 'high-pass', freq: 120 })]);
    expect(track.bandEnergyAfter.lowDb).toBeLessThan(track.bandEnergyBefore.lowDb - 15);
    expect(Math.abs(track.bandEnergyAfter.midDb - track.bandEnergyBefore.midDb)).toBeLessThan(1);
    const stored = await projects.get(projectId);
    expect(stored.tracks[0]!.plugins.filter((p) => p.type === 'eq')).toHaveLength(1);
    // Applying again replaces the EQ rather than stacking a second one. A steady tone is what a
    // whistle looks like, so with correction on the 1 kHz one gets a cut (and 60 Hz, below 150 Hz, none).
    const warm = await run('apply-eq', { projectId, eqProfile: 'warm' });
    expect(warm.resonanceCorrection).toBe('applied');
    expect(warm.tracks[0]!.resonances.map((r) => Math.round(r.frequencyHz))).toEqual([1000]);
    expect((await projects.get(projectId)).tracks[0]!.plugins.filter((p) => p.type === 'eq')).toHaveLength(1);
  });

  describe('apply-eq resonance correction', () => {
    /** 2 s of seeded white noise (mulberry32) in ±amp, plus sines at [freq, dB above the noise's spectrum]. */
    function noisy(amp: number, seed: number, tones: Array<[number, number]> = []): AudioData {
      const out = new Float32Array(RATE * SECONDS);
      const next = mulberry32(seed);
      for (let i = 0; i < out.length; i++) out[i] = amp * (2 * next() - 1);
      // Per Hann-windowed 8192-point bin the noise reads 6σ²/N (σ² = amp²/3), a sine its amplitude squared.
      for (const [f, db] of tones) {
        const a = Math.sqrt((10 ** (db / 10) * 2 * amp * amp) / 8192);
        for (let i = 0; i < out.length; i++) out[i]! += a * Math.sin((2 * Math.PI * f * i) / RATE);
      }
      return { sampleRate: RATE, channels: [out] };
    }

    it.each([0, 1])('cuts a persistent 2 kHz resonance, stores the cut and re-measures it lower (workers: %i)', async (workers) => {
      const audio = new AudioWorkerPool({ workers, filesDir: path.join(dir, 'files') });
      registry = new ModuleRegistry();
      registry.register(createMusicModule({ projects, files, audio }));
      try {
        const { projectId, trackIds } = await projectWith([
          { name: 'ringing', audio: noisy(0.2, 1, [[2_000, 15]]) },
          { name: 'air', audio: noisy(0.2, 2) },
        ]);
        const result = await run('apply-eq', { projectId, eqProfile: 'balanced' });
        expect(result.resonanceCorrection).toBe('applied');
        const [ringing, air] = result.tracks;
        expect(ringing).toMatchObject({ resonanceCorrection: 'applied', resonanceAnalysis: 'analysed' });
        expect(air).toMatchObject({ resonanceCorrection: 'none-found', resonanceAnalysis: 'analysed', resonances: [] });
        expect(ringing!.resonances).toHaveLength(1);
        const [found] = ringing!.resonances;
        expect(Math.abs(found!.frequencyHz - 2_000)).toBeLessThan(20);
        expect(found!.excessDb).toBeGreaterThan(12);
        expect(found).toMatchObject({ q: 16, cutDb: -6, persistence: expect.any(Number) });
        expect(found!.persistence).toBeGreaterThan(0.9);
        // Measured on the render with the cut, not taken from its gain.
        expect(found!.excessDb - found!.excessDbAfter!).toBeGreaterThan(3);
        expect(found!.levelDbBefore - found!.levelDbAfter!).toBeGreaterThan(3);

        const cut = { type: 'peaking', freq: expect.any(Number), gainDb: -6, q: 16 };
        const eqBands = async () => ((await projects.get(projectId)).tracks.map((t) => t.plugins.find((p) => p.type === 'eq')!.params.bands) as unknown[]);
        expect(await eqBands()).toEqual([[...eqProfileBands('balanced'), cut], eqProfileBands('balanced')]);
        // Applied again, the resonance is looked for under the profile alone: the same cut, not none.
        const again = await run('apply-eq', { projectId, trackIds: [trackIds[0]!] });
        expect(again.tracks[0]!.resonances.map((r) => Math.round(r.frequencyHz / 10) * 10)).toEqual([2_000]);
        expect((await eqBands())[0]).toEqual([...eqProfileBands('balanced'), cut]);
      } finally {
        await audio.close();
      }
    });

    it('with autoCorrectResonances false stores only the profile', async () => {
      const { projectId } = await projectWith([{ name: 'ringing', audio: noisy(0.2, 1, [[2_000, 15]]) }]);
      const result = await run('apply-eq', { projectId, eqProfile: 'vocal-presence', autoCorrectResonances: false });
      expect(result.resonanceCorrection).toBe('not-requested');
      expect(result.tracks[0]).toMatchObject({ resonanceCorrection: 'not-requested', resonances: [] });
      const stored = await projects.get(projectId);
      expect(stored.tracks[0]!.plugins.find((p) => p.type === 'eq')!.params).toEqual({ bands: eqProfileBands('vocal-presence') });
    });
  });

  it('apply-dynamics measures gain reduction on a loud track and none on a quiet one', async () => {
    const { projectId } = await projectWith([
      { name: 'loud', audio: signal([[200, 0.9]]) },
      { name: 'quiet', audio: signal([[300, 0.01]]) },
    ]);
    const result = await run('apply-dynamics', { projectId, compressionRatio: 4, threshold: -18 });
    expect(result.tracks[0]!.maxGainReductionDb).toBeGreaterThan(5);
    expect(result.tracks[1]!.maxGainReductionDb).toBe(0);
    expect(result.mix.integratedLufs).toEqual(expect.any(Number));
  });

  it('spatial-processing with stereoWidth 0 gives a mono image; delays follow the tempo', async () => {
    const { projectId } = await projectWith([
      { name: 'a', audio: signal([[330, 0.3]], 0.02) },
      { name: 'b', audio: signal([[550, 0.2]]) },
    ]);
    const mono = await run('spatial-processing', { projectId, stereoWidth: 0, reverbAmount: 40, delayPatterns: ['1/8', 'dotted-1/8'] });
    expect(mono.mix.correlation).toBeGreaterThan(0.999);
    expect(mono.mix.stereoWidthPercent).toBeLessThan(0.5);
    expect(mono.delays).toEqual([{ pattern: '1/8', timeMs: 250 }, { pattern: 'dotted-1/8', timeMs: 375 }]);
    const wide = await run('spatial-processing', { projectId, stereoWidth: 150, reverbAmount: 40 });
    expect(wide.mix.correlation).toBeLessThan(mono.mix.correlation - 0.01);
    const plugins = (await projects.get(projectId)).tracks[0]!.plugins.map((p) => p.type);
    expect(plugins).toEqual(['reverb', 'stereo-width']);
  });

  it('export-mix stores a WAV whose decoded loudness is the one reported', async () => {
    const { projectId } = await projectWith([{ name: 'tone', audio: signal([[440, 0.3]], 0.01) }]);
    const result = await run('export-mix', { projectId, bitDepth: 16, sampleRate: 44_100 });
    expect(result.url).toBe(`/api/v1/audio/files/${result.fileId}`);
    const decoded = decodeWav((await files.get(result.fileId)).data);
    expect(decoded).toMatchObject({ bitDepth: 16, format: 'pcm' });
    expect(decoded.audio.sampleRate).toBe(44_100);
    expect(measureLoudness(decoded.audio).integratedLufs).toBeCloseTo(result.analysis.integratedLufs, 6);
    const float = await run('export-mix', { projectId, bitDepth: 32 });
    expect(float.analysis).toMatchObject({ bitDepth: 32, format: 'float', sampleRate: RATE });
  });

  it('renders MIDI tracks with the built-in synth', async () => {
    const { projectId } = await projectWith([{ name: 'tone', audio: signal([[440, 0.3]]) }]);
    const notes = [0, 1, 2, 3].map((beat) => ({ pitch: 36 + beat, velocity: 100, startBeats: beat, durationBeats: 0.9 }));
    await run('add-track', { projectId, name: 'bass', source: { kind: 'midi', instrument: 'bass', notes } });
    const result = await run('balance-levels', { projectId, targetLUFS: -18 });
    expect(result.tracks[1]).toMatchObject({ name: 'bass', status: 'balanced' });
    expect(Math.abs(result.mix.integratedLufs - -18)).toBeLessThanOrEqual(1);
    // A MIDI track's spectral peaks are its notes: resonance correction leaves it alone and says so.
    const eq = await run('apply-eq', { projectId, eqProfile: 'balanced' });
    const bass = (eq.tracks as unknown as Array<{ name: string; resonanceCorrection: string; resonanceAnalysis: string; bands: unknown[] }>).find((t) => t.name === 'bass')!;
    expect(bass).toMatchObject({ resonanceCorrection: 'not-applicable', resonanceAnalysis: 'midi-track' });
    expect(bass.bands).toHaveLength(eqProfileBands('balanced').length);
    // Without a MIDI renderer the engine says so (501) rather than rendering silence.
    await expect(renderProject(await projects.get(projectId), { files })).rejects.toMatchObject({ status: 501, message: expect.stringMatching(/MIDI rendering/) });
  });

  it('balance-levels clamps a very quiet track at the fader limit instead of failing', async () => {
    // About −50 LUFS: reaching −14 would need more than the +24 dB a fader allows.
    const { projectId, trackIds } = await projectWith([
      { name: 'whisper', audio: signal([[1_000, 0.004]]) },
      { name: 'tone', audio: signal([[440, 0.3]]) },
    ]);
    const result = await run('balance-levels', { projectId, targetLUFS: -14 });
    const tracks = result.tracks as unknown as Array<{ trackId: string; status: string; gainDb: number }>;
    expect(tracks.find((t) => t.trackId === trackIds[0])).toMatchObject({ status: 'clamped', gainDb: 24 });
  });

  it('refuses up front a render that would be too long, naming the track', async () => {
    const project = await run('create-project', { name: 'long', bpm: 60, sampleRate: RATE });
    // One note 2,000 beats in at 60 bpm: over half an hour.
    await run('add-track', { projectId: project.id, name: 'drone', source: { kind: 'midi', instrument: 'pad', notes: [{ pitch: 60, velocity: 80, startBeats: 2_000, durationBeats: 1 }] } });
    await expect(run('export-mix', { projectId: project.id })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'tracks.0.source' })] } });
  });

  it('answers 400/404 naming the field for bad input', async () => {
    const { projectId } = await projectWith([{ name: 'tone', audio: signal([[440, 0.3]]) }]);
    const field = (name: string) => ({ status: 400, details: { issues: [expect.objectContaining({ field: name })] } });
    await expect(run('apply-eq', { projectId, eqProfile: 'loud' })).rejects.toMatchObject(field('params.eqProfile'));
    await expect(run('spatial-processing', { projectId, delayPatterns: ['1/4', '1/5'] })).rejects.toMatchObject(field('params.delayPatterns.1'));
    await expect(run('balance-levels', { projectId, targetLUFS: 3 })).rejects.toMatchObject(field('params.targetLUFS'));
    await expect(run('export-mix', { projectId, bitDepth: 8 })).rejects.toMatchObject(field('params.bitDepth'));
    await expect(run('apply-dynamics', { projectId, bogus: 1 })).rejects.toMatchObject(field('params.bogus'));
    await expect(run('apply-eq', { projectId, trackIds: ['t_nope'] })).rejects.toMatchObject({ status: 404, code: 'TRACK_NOT_FOUND', details: { issues: [expect.objectContaining({ field: 'params.trackIds.0' })] } });
    await expect(run('export-mix', { projectId: 'p_00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ status: 404, code: 'PROJECT_NOT_FOUND' });
    await projects.update(projectId, (p) => ({ ...p, tracks: p.tracks.map((t) => ({ ...t, plugins: [{ type: 'compressor', params: { ratio: 4 }, bypass: false }] })) }));
    await expect(run('export-mix', { projectId })).rejects.toMatchObject(field('tracks.0.plugins.0.params.thresholdDb'));
    // An instrument the synth does not have is refused when the track is added, not at render time.
    await expect(run('add-track', { projectId, name: 'x', source: { kind: 'midi', instrument: 'theremin', notes: [] } })).rejects.toMatchObject(field('params.source.instrument'));
  });
});
