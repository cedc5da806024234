import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, type StoredFile } from '../../src/dawg/storage';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/**
 * Tracks for a dashboard: listing stored files and drawing their waveform and loudness curve,
 * on the AI DAWG (service token) and through the control plane, against a real DAWG whose
 * waveforms are computed by a real audio worker thread.
 */
let dir: string;
let files: FileStore;
let audio: AudioWorkerPool;
let dawgApp: ReturnType<typeof buildDawgApp>;
let dawg: Listening;
let plane: TestPlane;

const RATE = 48_000;
const dawgAuth = { authorization: `Bearer ${SERVICE_TOKEN}` };
const planeAuth = () => ({ authorization: `Bearer ${plane.userKey}` });

/** [seconds, dBFS or null for silence] segments of one 997 Hz sine on both channels, as a 24-bit WAV. */
function toneWav(segments: ReadonlyArray<readonly [seconds: number, dbfs: number | null]>): Buffer {
  const total = segments.reduce((frames, [seconds]) => frames + Math.round(seconds * RATE), 0);
  const ch = new Float32Array(total);
  let i = 0;
  for (const [seconds, dbfs] of segments) {
    const amplitude = dbfs === null ? 0 : 10 ** (dbfs / 20);
    const end = i + Math.round(seconds * RATE);
    for (; i < end; i++) ch[i] = amplitude * Math.sin((2 * Math.PI * 997 * i) / RATE);
  }
  return encodeWav({ sampleRate: RATE, channels: [ch, ch.slice()] }, { bitDepth: 24, format: 'pcm' });
}

const upload = async (name: string, wav = toneWav([[0.5, -20]])): Promise<StoredFile> => {
  const res = await request(dawgApp).post('/api/v1/files').set(dawgAuth).set('content-type', 'audio/wav').set('x-file-name', name).send(wav);
  expect(res.status).toBe(201);
  return res.body as StoredFile;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audio-tracks-'));
  files = new FileStore({ dir, maxBytes: 10_000_000 });
  await files.init();
  // The worker reads stored files itself: same directory as the store.
  audio = new AudioWorkerPool({ workers: 1, filesDir: dir });
  dawgApp = buildDawgApp({ registry: new ModuleRegistry(), logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio });
  dawg = await listen(dawgApp);
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url } });
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await audio?.close();
  await rm(dir, { recursive: true, force: true });
});
// Each test sees only its own files.
beforeEach(async () => {
  for (const name of await readdir(dir)) await rm(path.join(dir, name), { force: true });
});

describe('GET /api/v1/files (DAWG)', () => {
  it('lists stored files newest first with their analysis, a page at a time', async () => {
    const stored: StoredFile[] = [];
    for (const name of ['a.wav', 'b.wav', 'c.wav']) {
      stored.push(await upload(name));
      await sleep(3); // distinct createdAt, so newest first is the reverse upload order
    }
    const all = await request(dawgApp).get('/api/v1/files').set(dawgAuth);
    expect(all.status).toBe(200);
    expect(all.body.files.map((f: StoredFile) => f.name)).toEqual(['c.wav', 'b.wav', 'a.wav']);
    expect(all.body.files).toEqual([...stored].reverse());
    expect(all.body.files[0].audio).toMatchObject({ sampleRate: RATE, channels: 2, integratedLufs: expect.closeTo(-20, 0) });
    expect(all.body.nextBefore).toBeNull();

    const first = await request(dawgApp).get('/api/v1/files?limit=2').set(dawgAuth);
    expect(first.body.files.map((f: StoredFile) => f.name)).toEqual(['c.wav', 'b.wav']);
    expect(typeof first.body.nextBefore).toBe('string');
    // The cursor names a position, not a file: deleting the file a page ended on does not break the next page.
    await files.remove(stored[1]!.id);
    const second = await request(dawgApp).get('/api/v1/files').query({ limit: 2, before: first.body.nextBefore }).set(dawgAuth);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ files: [stored[0]], nextBefore: null });
  });

  it('walks files created in the same millisecond one page at a time, each exactly once', async () => {
    // Stored straight into the store in parallel, so several share a createdAt.
    const stored = await Promise.all(Array.from({ length: 12 }, (_, i) => files.put(Buffer.from(`file ${i}`), { name: `f${i}.bin`, contentType: 'application/octet-stream' })));
    const seen: StoredFile[] = [];
    let before: string | null | undefined;
    for (let pages = 0; before !== null; pages++) {
      expect(pages).toBeLessThan(13);
      const res = await request(dawgApp).get('/api/v1/files').query({ limit: 1, ...(before ? { before } : {}) }).set(dawgAuth);
      expect(res.status).toBe(200);
      seen.push(...(res.body.files as StoredFile[]));
      before = res.body.nextBefore as string | null;
    }
    expect(seen.map((f) => f.id).sort()).toEqual(stored.map((f) => f.id).sort());
    const key = (f: StoredFile) => `${f.createdAt} ${f.id}`;
    for (let i = 1; i < seen.length; i++) expect(key(seen[i - 1]!) > key(seen[i]!)).toBe(true);
  });

  it('answers 400 naming the field for a bad limit, cursor or unknown parameter, and 401 without the token', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ limit: '0' }, 'query.limit'],
      [{ limit: '201' }, 'query.limit'],
      [{ limit: 'ten' }, 'query.limit'],
      [{ limit: '2.5' }, 'query.limit'],
      [{ before: 'not-a-cursor' }, 'query.before'],
      [{ before: Buffer.from('2026-01-01T00:00:00.000Z|../../etc').toString('base64url') }, 'query.before'],
      [{ sort: 'name' }, 'query.sort'],
    ];
    for (const [query, field] of cases) {
      const res = await request(dawgApp).get('/api/v1/files').query(query).set(dawgAuth);
      expect([res.status, res.body.error.details.issues[0].field]).toEqual([400, field]);
    }
    expect((await request(dawgApp).get('/api/v1/files?limit=200').set(dawgAuth)).status).toBe(200);
    expect((await request(dawgApp).get('/api/v1/files')).status).toBe(401);
  });
});

describe('GET /api/v1/files/:id/waveform (DAWG)', () => {
  it('draws a loud burst, a quieter part and silence: peaks and loudness curve follow the signal', async () => {
    const file = await upload('burst.wav', toneWav([[4, -20], [4, -40], [3, null]]));
    const res = await request(dawgApp).get(`/api/v1/files/${file.id}/waveform?points=110`).set(dawgAuth);
    expect(res.status).toBe(200);
    const w = res.body;
    expect(w).toMatchObject({ id: file.id, durationSeconds: 11, sampleRate: RATE, channels: 2, points: 110, loudness: { windowSeconds: 3, hopSeconds: 1 } });
    expect(w.peaks).toHaveLength(110);
    const peaks = w.peaks as Array<[number, number]>;
    const [loud, quiet, silent] = [peaks.slice(0, 40), peaks.slice(40, 80), peaks.slice(80)];
    for (const [min, max] of loud) expect([min, max]).toEqual([expect.closeTo(-0.1, 3), expect.closeTo(0.1, 3)]);
    for (const [min, max] of quiet) expect([min, max]).toEqual([expect.closeTo(-0.01, 3), expect.closeTo(0.01, 3)]);
    for (const pair of silent) expect(pair).toEqual([0, 0]);
    // Windows [i, i + 3) s: loud, loud, mixed, mixed, quiet, quiet, fading, fading, silent.
    const lufs = w.loudness.lufs as Array<number | null>;
    expect(lufs).toHaveLength(9);
    expect(lufs.slice(0, 2)).toEqual([expect.closeTo(-20, 1), expect.closeTo(-20, 1)]);
    expect(lufs.slice(4, 6)).toEqual([expect.closeTo(-40, 1), expect.closeTo(-40, 1)]);
    expect(lufs[8]).toBeNull();
    for (let i = 1; i < 8; i++) expect(lufs[i]!).toBeLessThanOrEqual(lufs[i - 1]! + 0.01);
    // The headline figures agree with the analysis stored with the upload.
    expect(w.integratedLufs).toBeCloseTo(file.audio!.integratedLufs as number, 6);
    expect(w.truePeakDbtp).toBeCloseTo(file.audio!.truePeakDbtp as number, 6);
    expect(w.truePeakDbtp).toBeCloseTo(-20, 1);
  });

  it('defaults to 800 points, answers the same waveform again, and bounds points to 50–4000', async () => {
    const file = await upload('tone.wav', toneWav([[5, -20]]));
    const first = await request(dawgApp).get(`/api/v1/files/${file.id}/waveform`).set(dawgAuth);
    expect(first.status).toBe(200);
    expect(first.body.points).toBe(800);
    expect(first.body.peaks).toHaveLength(800);
    expect(first.body.loudness.lufs).toHaveLength(3);
    const again = await request(dawgApp).get(`/api/v1/files/${file.id}/waveform?points=800`).set(dawgAuth);
    expect(again.body).toEqual(first.body);
    for (const points of ['49', '4001', 'many', '100.5']) {
      const res = await request(dawgApp).get(`/api/v1/files/${file.id}/waveform`).query({ points }).set(dawgAuth);
      expect([res.status, res.body.error.details.issues[0].field]).toEqual([400, 'query.points']);
    }
    expect((await request(dawgApp).get(`/api/v1/files/${file.id}/waveform?points=4000`).set(dawgAuth)).body.peaks).toHaveLength(4000);
  });

  it('refuses files that are not WAV (415) or do not decode (400), unknown ids (404) and malformed ids (400)', async () => {
    const mp3 = await files.put(Buffer.from('ID3 this is an mp3'), { name: 'song.mp3', contentType: 'audio/mpeg' });
    const notWav = await request(dawgApp).get(`/api/v1/files/${mp3.id}/waveform`).set(dawgAuth);
    expect([notWav.status, notWav.body.error.code]).toEqual([415, 'UNSUPPORTED_AUDIO_FORMAT']);
    expect(notWav.body.error.message).toContain('audio/mpeg');
    const broken = await files.put(Buffer.from('RIFF but nothing else'), { name: 'broken.wav', contentType: 'audio/wav' });
    const undecodable = await request(dawgApp).get(`/api/v1/files/${broken.id}/waveform`).set(dawgAuth);
    expect([undecodable.status, undecodable.body.error.details.issues[0].field]).toEqual([400, 'file']);
    const missing = await request(dawgApp).get('/api/v1/files/f_00000000-0000-4000-8000-000000000000/waveform').set(dawgAuth);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'FILE_NOT_FOUND']);
    const malformed = await request(dawgApp).get('/api/v1/files/nope/waveform').set(dawgAuth);
    expect([malformed.status, malformed.body.error.details.issues[0].field]).toEqual([400, 'params.id']);
    expect((await request(dawgApp).get(`/api/v1/files/${mp3.id}/waveform`)).status).toBe(401);
  });
});

describe('through the control plane', () => {
  it('lists audio files a page at a time, as the DAWG stores them', async () => {
    const a = await upload('a.wav');
    await sleep(3);
    const b = await upload('b.wav');
    const first = await request(plane.app).get('/api/v1/audio/files?limit=1').set(planeAuth());
    expect(first.status).toBe(200);
    expect(first.body.files).toEqual([b]);
    const second = await request(plane.app).get('/api/v1/audio/files').query({ limit: 1, before: first.body.nextBefore }).set(planeAuth());
    expect(second.body).toEqual({ files: [a], nextBefore: null });
    expect((await request(plane.app).get('/api/v1/audio/files')).status).toBe(401);
  });

  it('answers 400 naming the field, whether the control plane or the DAWG finds the problem', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['/api/v1/audio/files', { limit: '500' }, 'query.limit'],
      ['/api/v1/audio/files', { before: 'has spaces' }, 'query.before'],
      // Well formed for the control plane, but not a cursor the DAWG issued.
      ['/api/v1/audio/files', { before: 'bm90LWEtY3Vyc29y' }, 'query.before'],
      ['/api/v1/audio/files/f_00000000-0000-4000-8000-000000000000/waveform', { points: '10' }, 'query.points'],
      ['/api/v1/audio/files/nope/waveform', {}, 'params.id'],
    ];
    for (const [url, query, field] of cases) {
      const res = await request(plane.app).get(url).query(query).set(planeAuth());
      expect([url, res.status, res.body.error.details.issues[0].field]).toEqual([url, 400, field]);
    }
  });

  it('gives the DAWG’s waveform, and passes its 404 and 415 through', async () => {
    const file = await upload('tone.wav', toneWav([[4, -20], [2, null]]));
    const viaPlane = await request(plane.app).get(`/api/v1/audio/files/${file.id}/waveform?points=60`).set(planeAuth());
    expect(viaPlane.status).toBe(200);
    const direct = await request(dawgApp).get(`/api/v1/files/${file.id}/waveform?points=60`).set(dawgAuth);
    expect(viaPlane.body).toEqual(direct.body);
    // Gating blocks that straddle the end of the tone pull the integrated loudness a little below −20.
    expect(viaPlane.body).toMatchObject({ id: file.id, points: 60, integratedLufs: expect.closeTo(-20, 0) });
    // 4 s of tone then 2 s of silence: windows [0, 3) and [1, 4) all tone, [2, 5) two thirds, [3, 6) one third.
    const { log10 } = Math;
    expect(viaPlane.body.loudness.lufs).toEqual([-20, -20, -20 + 10 * log10(2 / 3), -20 + 10 * log10(1 / 3)].map((v) => expect.closeTo(v, 1)));
    const mp3 = await files.put(Buffer.from('ID3 this is an mp3'), { name: 'song.mp3', contentType: 'audio/mpeg' });
    const notWav = await request(plane.app).get(`/api/v1/audio/files/${mp3.id}/waveform`).set(planeAuth());
    expect([notWav.status, notWav.body.error.code]).toEqual([415, 'UNSUPPORTED_AUDIO_FORMAT']);
    const missing = await request(plane.app).get('/api/v1/audio/files/f_00000000-0000-4000-8000-000000000000/waveform').set(planeAuth());
    expect([missing.status, missing.body.error.code]).toEqual([404, 'FILE_NOT_FOUND']);
  });
});
