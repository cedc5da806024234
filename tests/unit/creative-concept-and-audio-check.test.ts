import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compose, compositionSchema } from '../../src/dawg/audio/compose/procedural-composer';
import { encodeWav } from '../../src/dawg/audio/io/wav-encoder';
import { measureQuality } from '../../src/dawg/audio/quality/quality-measures';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { songConcept, songConceptParams, songConceptSchema } from '../../src/dawg/modules/creative/song-concept';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { silentLogger } from '../helpers/logger';

const concept = (input: Record<string, unknown>) => songConcept(songConceptParams.parse(input));
const BLUEPRINT = "Create a synthwave track called 'Neon Dreams', mix it professionally, and deploy it to the music catalog";

describe('creative.song-concept rules', () => {
  it('reads the blueprint request: the quoted title, the genre, the genre\'s tempo, a stable key', () => {
    const c = concept({ prompt: BLUEPRINT });
    expect(songConceptSchema.parse(c)).toEqual(c);
    expect(c).toMatchObject({ title: 'Neon Dreams', genre: 'synthwave', bpm: 110, mood: 'nostalgic', lyrics: null, source: 'rules' });
    expect(c.key).toMatch(/^[A-G]#? minor$/);
    expect(c.notes).toEqual(expect.arrayContaining(['title: from the prompt', 'genre: from the prompt', 'bpm: default', 'key: default']));
    expect(concept({ prompt: BLUEPRINT })).toEqual(c);
  });

  it('takes tempo, key and mood words as the prompt says them, and explicit fields over the prompt', () => {
    const c = concept({ prompt: 'Upbeat synthwave track with dreamy atmosphere, 128 BPM, key of A minor', duration: 180 });
    expect(c).toMatchObject({ genre: 'synthwave', bpm: 128, key: 'A minor', mood: 'upbeat, dreamy' });
    expect(concept({ prompt: 'a song in Bb major' }).key).toBe('A# major');
    expect(concept({ prompt: 'retrowave at 128 bpm', genre: 'rap', bpm: 95, key: 'C minor', mood: 'angry', title: 'X' })).toMatchObject({ genre: 'hip-hop', bpm: 95, key: 'C minor', mood: 'angry', title: 'X' });
    expect(concept({ prompt: 'some retrowave for the night' }).genre).toBe('synthwave');
    const unknown = concept({ prompt: 'a chill piece', genre: 'polka' });
    expect(unknown.genre).toBe('ambient');
    expect(unknown.notes.join(' ')).toContain('"polka" is not one the composer plays');
  });

  it('plans the sections the composer renders: whole bars adding up to the duration', () => {
    for (const [prompt, duration] of [[BLUEPRINT, 180], ['ambient', 10], ['house', 37]] as const) {
      const c = concept({ prompt, duration });
      const song = compose(compositionSchema.parse({ prompt, genre: c.genre, bpm: c.bpm, key: c.key, mood: c.mood, duration: c.durationSeconds }));
      expect(c.structure.reduce((n, s) => n + s.bars, 0)).toBe(song.bars);
      expect(song.key).toBe(c.key);
      expect(Math.abs(c.durationSeconds - (song.bars * 240) / c.bpm)).toBeLessThanOrEqual(0.5);
      expect(c.structure[0]!.startSeconds).toBe(0);
    }
    expect(concept({ prompt: BLUEPRINT, duration: 180 }).structure.map((s) => s.section)).toEqual(['intro', 'theme', 'outro']);
  });

  it('answers 400 naming the field through the module', async () => {
    const registry = new ModuleRegistry();
    const dir = await mkdtemp(path.join(tmpdir(), 'concept-'));
    try {
      registry.register(createCreativeModule({ files: new FileStore({ dir, maxBytes: 1 }), projects: new ProjectStore(dir), audio: new AudioWorkerPool({ workers: 0, filesDir: dir }) }));
      const run = (params: Record<string, unknown>) => registry.execute({ module: 'creative', action: 'song-concept', params }, { requestId: 't', signal: new AbortController().signal, logger: silentLogger() });
      await expect(run({ prompt: BLUEPRINT })).resolves.toMatchObject({ result: { title: 'Neon Dreams' } });
      await expect(run({ prompt: 'x', duration: 5 })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.duration' })] } });
      await expect(run({ prompt: 'x', key: 'H major' })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.key' })] } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('testing.audio-check', () => {
  let dir: string;
  let files: FileStore;
  let registry: ModuleRegistry;
  const RATE = 48_000;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audio-check-'));
    files = new FileStore({ dir, maxBytes: 50_000_000 });
    await files.init();
    registry = new ModuleRegistry();
    // Inline (0 workers): the worker threads have their own tests.
    registry.register(createTestingModule({ listModules: () => registry.names(), dataDir: dir, startedAt: Date.now(), files, audio: new AudioWorkerPool({ workers: 0, filesDir: dir }) }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A stereo 24-bit WAV of `seconds` from a per-sample function of (time, channel), stored. */
  async function stored(seconds: number, sample: (t: number, ch: number) => number): Promise<string> {
    const frames = Math.round(seconds * RATE);
    const channels = [0, 1].map((ch) => Float32Array.from({ length: frames }, (_, i) => sample(i / RATE, ch)));
    const wav = encodeWav({ sampleRate: RATE, channels }, { bitDepth: 24, format: 'pcm' });
    return (await files.put(wav, { name: 'test.wav', contentType: 'audio/wav' })).id;
  }
  const check = async (params: Record<string, unknown>) =>
    (await registry.execute({ module: 'testing', action: 'audio-check', params }, { requestId: 't', signal: new AbortController().signal, logger: silentLogger() })).result as {
      ok: boolean;
      failures: string[];
      checks: Array<{ name: string; ok: boolean; measured: number | null }>;
      measured: Record<string, number>;
    };
  const byName = (r: Awaited<ReturnType<typeof check>>) => Object.fromEntries(r.checks.map((c) => [c.name, c]));
  /** A sine at `amplitude` (its loudness is measured by the first check, not assumed). */
  const sine = (amplitude: number, hz = 1_000) => (t: number) => amplitude * Math.sin(2 * Math.PI * hz * t);

  it('passes a clean tone at its measured loudness, and reports every figure', async () => {
    const id = await stored(8, sine(0.2));
    const first = await check({ fileId: id, targetLufs: -14 });
    const lufs = first.measured.integratedLufs!;
    const passing = await check({ fileId: id, targetLufs: Math.round(lufs), lufsTolerance: 1, expectedDurationSeconds: 8 });
    expect(passing).toMatchObject({ ok: true, failures: [] });
    expect(passing.checks.map((c) => c.name)).toEqual(['loudness', 'true-peak', 'clipping', 'silence', 'correlation', 'duration']);
    expect(passing.measured).toMatchObject({ clippedSamples: 0, longestSilenceSeconds: 0, correlation: 1, durationSeconds: 8, sampleRate: RATE, bitDepth: 24, channels: 2 });
    expect(passing.measured.truePeakDbtp).toBeCloseTo(20 * Math.log10(0.2), 0);
    // The same file against a target 6 LU away: only loudness fails, with the figure in the message.
    const loud = await check({ fileId: id, targetLufs: Math.round(lufs) - 6 });
    expect(loud.ok).toBe(false);
    expect(loud.failures).toEqual([expect.stringMatching(/^Loudness -?\d+(\.\d)? LUFS is outside/)]);
  });

  it('fails clipping, long silence, inverted channels and a wrong duration, each with its measurement', async () => {
    const clipped = await check({ fileId: await stored(4, (t) => (Math.sin(2 * Math.PI * 100 * t) >= 0 ? 1 : -1)), targetLufs: -3, lufsTolerance: 6, maxTruePeakDbtp: 0 });
    expect(byName(clipped).clipping).toMatchObject({ ok: false });
    expect(byName(clipped).clipping!.measured).toBeGreaterThan(1_000);

    const gap = await check({ fileId: await stored(9, (t) => (t >= 3 && t < 6 ? 0 : sine(0.2)(t))), targetLufs: -17, lufsTolerance: 6 });
    expect(byName(gap).silence).toMatchObject({ ok: false });
    expect(byName(gap).silence!.measured).toBeCloseTo(3, 1);
    expect(gap.failures.join(' ')).toMatch(/Longest silence 3(\.\d+)? s \(at 3(\.\d+)? s\) exceeds 2 s/);

    const inverted = await check({ fileId: await stored(4, (t, ch) => (ch === 0 ? 1 : -1) * sine(0.2)(t)), targetLufs: -17, lufsTolerance: 6 });
    expect(byName(inverted).correlation).toMatchObject({ ok: false, measured: -1 });

    const short = await check({ fileId: await stored(4, sine(0.2)), targetLufs: -17, lufsTolerance: 6, expectedDurationSeconds: 30 });
    expect(byName(short).duration).toMatchObject({ ok: false, measured: 4 });
    expect(short.failures).toEqual([expect.stringContaining('Duration 4 s is outside 30 ± 2 s')]);
  });

  it('measures silence per window on all channels, leading and trailing silence included', () => {
    const channels = [new Float32Array(RATE * 4), new Float32Array(RATE * 4)];
    channels[1]!.fill(0.5, RATE, RATE * 2); // one channel sounding for a second keeps it from being silence
    expect(measureQuality({ sampleRate: RATE, channels }, { silenceThresholdDbfs: -60 })).toEqual({ clippedSamples: 0, longestSilenceSeconds: 2, longestSilenceAtSeconds: 2 });
  });

  it('answers 404 for an unknown file and 400 naming a bad field', async () => {
    await expect(check({ fileId: 'f_01234567-89ab-cdef-0123-456789abcdef' })).rejects.toMatchObject({ status: 404 });
    await expect(check({ fileId: 'f_01234567-89ab-cdef-0123-456789abcdef', lufsTolerance: 9 })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.lufsTolerance' })] } });
    await expect(check({ fileId: 'nope' })).rejects.toMatchObject({ status: 400, details: { issues: [expect.objectContaining({ field: 'params.fileId' })] } });
  });
});
