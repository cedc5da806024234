import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeWav, decodeWav } from '../../src/dawg/audio/io';
import { measureLoudness } from '../../src/dawg/audio/loudness';
import type { AudioData } from '../../src/dawg/audio/types';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { ModuleRegistry } from '../../src/dawg/sdk';
import type { SongProvider } from '../../src/dawg/providers';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { silentLogger } from '../helpers/logger';

const { sin, PI, exp } = Math;
const SR = 48_000;

/** A deterministic PRNG (mulberry32), so the "songs" are the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Three different little "songs": a quiet pad, punchy drums over a bass, and a dynamic piece with loud hits. */
function songs(): Record<string, AudioData> {
  const seconds = 12;
  const n = seconds * SR;
  const make = (fill: (i: number, t: number, r: () => number) => [number, number], seed: number): AudioData => {
    const l = new Float32Array(n);
    const rr = new Float32Array(n);
    const r = rng(seed);
    for (let i = 0; i < n; i++) {
      const [a, b] = fill(i, i / SR, r);
      l[i] = a;
      rr[i] = b;
    }
    return { sampleRate: SR, channels: [l, rr] };
  };
  return {
    'quiet pad': make((_i, t) => {
      const v = 0.02 * (sin(2 * PI * 220 * t) + sin(2 * PI * 277.2 * t) + sin(2 * PI * 329.6 * t));
      return [v, 0.9 * v];
    }, 1),
    'drums and bass': make((_i, t, r) => {
      const beat = t % 0.5;
      const kick = 0.9 * exp(-beat * 30) * sin(2 * PI * (50 + 100 * exp(-beat * 40)) * beat);
      const hat = (t % 0.25) < 0.03 ? 0.2 * (r() * 2 - 1) : 0;
      const bass = 0.3 * sin(2 * PI * 55 * t);
      return [kick + hat + bass, kick + 0.8 * hat + bass];
    }, 2),
    'dynamic with hits': make((i, t, r) => {
      const base = 0.05 * (r() * 2 - 1) + 0.1 * sin(2 * PI * 440 * t);
      const hit = i % (2 * SR) < 2_000 ? 0.98 * (r() > 0.5 ? 1 : -1) : 0;
      return [base + hit, base - hit * 0.5];
    }, 3),
  };
}

let dir: string;
let files: FileStore;
let registry: ModuleRegistry;
let audio: AudioWorkerPool;
interface MasterOut {
  fileId: string;
  meetsTarget: boolean;
  target: { lufs: number; truePeakDbtp: number };
  measured: { integratedLufs: number | null; truePeakDbtp: number | null };
}
const master = (params: Record<string, unknown>) =>
  registry.execute({ module: 'creative', action: 'master-track', params }, { requestId: 't', signal: new AbortController().signal, logger: silentLogger() }).then((r) => r.result as MasterOut);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'master-'));
  files = new FileStore({ dir, maxBytes: 100_000_000 });
  await files.init();
  registry = new ModuleRegistry();
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await projects.init();
  // Inline (0 workers): these are the actions' unit tests; the worker threads have their own.
  audio = new AudioWorkerPool({ workers: 0, filesDir: dir });
  registry.register(createCreativeModule({ files, projects, audio }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('creative.generate-audio (local provider)', () => {
  it('composes and renders a song to the asked length, tempo and key, and stores it measured', async () => {
    const result = (await registry
      .execute(
        { module: 'creative', action: 'generate-audio', params: { prompt: "a synthwave track called 'Neon Dreams'", duration: 20, key: 'A minor' } },
        { requestId: 't', signal: new AbortController().signal, logger: silentLogger() },
      )
      .then((r) => r.result)) as { fileId: string; concept: { genre: string; bpm: number; key: string; parts: Array<{ notes: number }> }; analysis: { durationSeconds: number; integratedLufs: number } };
    expect(result.concept).toMatchObject({ genre: 'synthwave', bpm: 110, key: 'A minor' });
    for (const part of result.concept.parts) expect(part.notes).toBeGreaterThan(0);
    const stored = decodeWav((await files.get(result.fileId)).data);
    const m = measureLoudness(stored.audio);
    expect(m.durationSeconds).toBeGreaterThanOrEqual(20);
    expect(m.integratedLufs!).toBeGreaterThan(-40);
    expect(m.samplePeakDbfs!).toBeLessThanOrEqual(-0.99); // not clipped by the 24-bit export
    expect(result.analysis.integratedLufs).toBeCloseTo(m.integratedLufs!, 6);
    // Run without a caller (a direct DAWG call): the file records no creator.
    expect((await files.meta(result.fileId)).createdBy).toBeUndefined();
  }, 60_000);

  it('generated songs of different genres master to every streaming target', async () => {
    const ctx = { requestId: 't', signal: new AbortController().signal, logger: silentLogger() };
    for (const genre of ['house', 'ambient', 'hip-hop']) {
      const song = (await registry.execute({ module: 'creative', action: 'generate-audio', params: { prompt: `a ${genre} sketch`, genre, duration: 15 } }, ctx)).result as { fileId: string };
      for (const target of ['spotify', 'apple-music', 'youtube']) {
        const mastered = await master({ fileId: song.fileId, target });
        expect({ genre, target, meetsTarget: mastered.meetsTarget }).toEqual({ genre, target, meetsTarget: true });
      }
    }
  }, 120_000);

  it('masters a project’s mix directly (projectId instead of fileId); both files record the caller they were made for', async () => {
    const ctx = { requestId: 't', signal: new AbortController().signal, logger: silentLogger(), actor: 'key-owner-1' };
    const song = (await registry.execute({ module: 'creative', action: 'generate-audio', params: { prompt: 'pop sketch', duration: 12 } }, ctx)).result as { projectId: string; fileId: string };
    const mastered = (await registry.execute({ module: 'creative', action: 'master-track', params: { projectId: song.projectId, target: 'apple-music' } }, ctx)).result as MasterOut;
    expect(mastered).toMatchObject({ meetsTarget: true, target: { lufs: -16 } });
    expect((await files.meta(song.fileId)).createdBy).toBe('key-owner-1');
    expect((await files.meta(mastered.fileId)).createdBy).toBe('key-owner-1');
    await expect(master({ projectId: song.projectId, fileId: song.fileId })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.projectId' })] } });
    await expect(master({ target: 'spotify' })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.fileId' })] } });
  }, 60_000);

  it('stores and measures what a configured provider returns (the HTTP clients are tested against fake servers)', async () => {
    const wav = encodeWav(songs()['drums and bass']!, { bitDepth: 16, format: 'pcm' });
    const requests: unknown[] = [];
    const suno: SongProvider = {
      name: 'suno',
      async generate(req) {
        requests.push(req);
        return { provider: 'suno', providerTaskId: 'task-1', audio: wav, title: 'Neon Dreams' };
      },
    };
    const withProvider = new ModuleRegistry();
    const providerProjects = new ProjectStore(path.join(dir, 'projects'));
    withProvider.register(createCreativeModule({ files, projects: providerProjects, audio, providers: { suno } }));
    const result = (
      await withProvider.execute(
        { module: 'creative', action: 'generate-audio', params: { prompt: 'synthwave', title: 'Neon Dreams', duration: 30, provider: 'suno' } },
        { requestId: 't', signal: new AbortController().signal, logger: silentLogger(), actor: 'agent:CreativeDirector' },
      )
    ).result as { provider: string; providerTaskId: string; projectId: string; fileId: string; analysis: { integratedLufs: number } };
    expect(requests).toEqual([{ prompt: 'synthwave', title: 'Neon Dreams', durationSeconds: 30, instrumental: true }]);
    expect(result).toMatchObject({ provider: 'suno', providerTaskId: 'task-1' });
    // The song is a project's one audio track, so the MixingEngineer's full-mix can work on it.
    const project = await providerProjects.get(result.projectId);
    expect(project).toMatchObject({ name: 'Neon Dreams', sampleRate: 48_000, tracks: [{ source: { kind: 'audio', fileId: result.fileId } }], createdBy: 'agent:CreativeDirector' });
    expect(Buffer.compare((await files.get(result.fileId)).data, wav)).toBe(0);
    expect((await files.meta(result.fileId)).createdBy).toBe('agent:CreativeDirector');
    expect(result.analysis.integratedLufs).toBeCloseTo(measureLoudness(decodeWav(wav).audio).integratedLufs!, 6);
  });

  it('answers 503 for providers that are not configured, and 400 naming bad fields', async () => {
    const run = (params: Record<string, unknown>) => registry.execute({ module: 'creative', action: 'generate-audio', params }, { requestId: 't', signal: new AbortController().signal, logger: silentLogger() });
    await expect(run({ prompt: 'x', provider: 'suno' })).rejects.toMatchObject({
      status: 503,
      code: 'PROVIDER_NOT_CONFIGURED',
      details: { issues: [expect.objectContaining({ field: 'params.provider' })], available: ['local'] },
    });
    await expect(run({ prompt: 'x', key: 'H major' })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.key' })] } });
    await expect(run({ prompt: 'x', duration: 3_600 })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.duration' })] } });
  });
});

describe('creative.mix-tracks', () => {
  it('mixes stems into one file with the music module’s steps and masters it when asked', async () => {
    const all = songs();
    const stems = await Promise.all(
      (['quiet pad', 'drums and bass'] as const).map((name) => files.put(encodeWav(all[name]!, { bitDepth: 24, format: 'pcm' }), { name: `${name}.wav`, contentType: 'audio/wav' })),
    );
    // As the control plane sends it for a key without the admin scope: the project mix-tracks
    // makes is recorded as the caller's, so its own steps may change it.
    const ctx = { requestId: 't', signal: new AbortController().signal, logger: silentLogger(), actor: 'key-owner-2', ownedBy: 'key-owner-2' };
    const result = (await registry.execute({ module: 'creative', action: 'mix-tracks', params: { fileIds: stems.map((f) => f.id), name: 'stems', master: 'spotify' } }, ctx))
      .result as { mix: { fileId: string; analysis: { integratedLufs: number } }; master: MasterOut; steps: { balance: Array<{ status: string }> } };
    expect(result.steps.balance.map((t) => t.status)).toEqual(['balanced', 'balanced']);
    const mixed = measureLoudness(decodeWav((await files.get(result.mix.fileId)).data).audio);
    expect(result.mix.analysis.integratedLufs).toBeCloseTo(mixed.integratedLufs!, 6);
    expect(result.master).toMatchObject({ meetsTarget: true, target: { lufs: -14 } });
    expect([(await files.meta(result.mix.fileId)).createdBy, (await files.meta(result.master.fileId)).createdBy]).toEqual(['key-owner-2', 'key-owner-2']);
    await expect(registry.execute({ module: 'creative', action: 'mix-tracks', params: { fileIds: [] } }, ctx)).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'params.fileIds' })] },
    });
  }, 60_000);
});

describe('creative.master-track', () => {
  const targets = [
    ['spotify', -14, -1],
    ['apple-music', -16, -1],
    ['youtube', -14, -1],
  ] as const;

  for (const [name, song] of Object.entries(songs())) {
    it(`masters "${name}" to every streaming target, measured on the stored file`, async () => {
      const source = await files.put(encodeWav(song, { bitDepth: 24, format: 'pcm' }), { name: `${name}.wav`, contentType: 'audio/wav' });
      for (const [target, lufs, ceiling] of targets) {
        const result = await master({ fileId: source.id, target });
        expect(result).toMatchObject({ meetsTarget: true, target: { lufs, truePeakDbtp: ceiling } });
        // Re-measure the stored master independently of what the action reported.
        const stored = decodeWav((await files.get(result.fileId)).data);
        const m = measureLoudness(stored.audio);
        expect(Math.abs(m.integratedLufs! - lufs)).toBeLessThanOrEqual(0.5);
        expect(m.truePeakDbtp!).toBeLessThanOrEqual(ceiling);
        expect(stored.bitDepth).toBe(24);
        expect(result.measured.integratedLufs).toBeCloseTo(m.integratedLufs!, 6);
      }
    }, 60_000);
  }

  it('takes a custom target, and refuses bad parameters naming the field', async () => {
    const source = await files.put(encodeWav(songs()['quiet pad']!, { bitDepth: 24, format: 'pcm' }), { name: 'pad.wav', contentType: 'audio/wav' });
    const custom = await master({ fileId: source.id, target: 'custom', lufs: -20, truePeak: -2 });
    expect(custom).toMatchObject({ meetsTarget: true, target: { lufs: -20, truePeakDbtp: -2 } });
    await expect(master({ fileId: source.id, target: 'custom', lufs: -20 })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.truePeak' })] } });
    await expect(master({ fileId: source.id, target: 'tidal' })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.target' })] } });
    await expect(master({ fileId: 'f_00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ status: 404 });
  });

  it('refuses silent audio instead of pretending to master it', async () => {
    const silent = await files.put(encodeWav({ sampleRate: SR, channels: [new Float32Array(SR), new Float32Array(SR)] }, { bitDepth: 16, format: 'pcm' }), { name: 's.wav', contentType: 'audio/wav' });
    await expect(master({ fileId: silent.id })).rejects.toMatchObject({ status: 400 });
  });
});
