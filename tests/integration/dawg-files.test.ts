import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore } from '../../src/dawg/storage';
import { silentLogger } from '../helpers/logger';
import { SERVICE_TOKEN } from '../helpers/servers';

let dir: string;
let app: ReturnType<typeof buildDawgApp>;
const auth = { authorization: `Bearer ${SERVICE_TOKEN}` };
// Uploads are measured by a real worker thread; its pool outlives the per-test stores (it reads none of them).
let audio: AudioWorkerPool;
beforeAll(() => {
  audio = new AudioWorkerPool({ workers: 1, filesDir: tmpdir() });
});
afterAll(() => audio.close());

/** A 1 kHz sine, stereo, at `dbfs`, for `seconds`. */
function sineWav(dbfs: number, seconds: number, sampleRate = 48_000): Buffer {
  const n = Math.round(seconds * sampleRate);
  const amp = 10 ** (dbfs / 20);
  const ch = new Float32Array(n);
  for (let i = 0; i < n; i++) ch[i] = amp * Math.sin((2 * Math.PI * 1_000 * i) / sampleRate);
  return encodeWav({ sampleRate, channels: [ch, ch.slice()] }, { bitDepth: 24, format: 'pcm' });
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dawg-files-'));
  const files = new FileStore({ dir, maxBytes: 10_000_000 });
  await files.init();
  app = buildDawgApp({ registry: new ModuleRegistry(), logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio, uploadLimit: '5mb' });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DAWG audio files', () => {
  it('stores an uploaded WAV with its measured loudness, and gives back the same bytes', async () => {
    const wav = sineWav(-23, 5);
    const up = await request(app).post('/api/v1/files').set(auth).set('content-type', 'audio/wav').set('x-file-name', 'tone.wav').send(wav);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: 'tone.wav', bytes: wav.length, audio: { sampleRate: 48_000, channels: 2, bitDepth: 24, format: 'pcm' } });
    // 1 kHz sine at -23 dBFS on both channels reads -23 LUFS (EBU Tech 3341 case 1).
    expect(up.body.audio.integratedLufs).toBeCloseTo(-23, 1);
    // Identical channels: no side signal, fully correlated.
    expect(up.body.audio).toMatchObject({ stereoWidthPercent: 0, correlation: expect.closeTo(1, 5) });
    const down = await request(app).get(`/api/v1/files/${up.body.id}`).set(auth).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(down.status).toBe(200);
    expect(down.headers['content-type']).toMatch(/^audio\/wav/);
    expect(Buffer.compare(down.body as Buffer, wav)).toBe(0);
    expect((await request(app).get(`/api/v1/files/${up.body.id}/meta`).set(auth)).body).toEqual(up.body);
  });

  it('refuses what is not a usable WAV with a 400 naming the problem, and stores nothing', async () => {
    const wav = sineWav(-20, 1);
    const cases: Array<[string, Buffer, string]> = [
      ['not a WAV', Buffer.from('ID3 this is an mp3'), 'file'],
      ['truncated', wav.subarray(0, 30), 'file'],
      ['empty data', sineWav(-20, 0.0001).subarray(0, 44), 'file'],
    ];
    for (const [, body, field] of cases) {
      const res = await request(app).post('/api/v1/files').set(auth).set('content-type', 'audio/wav').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0].field).toBe(field);
    }
    const wrongType = await request(app).post('/api/v1/files').set(auth).set('content-type', 'text/plain').send('hello');
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details.issues[0].field).toBe('headers.content-type');
    const badName = await request(app).post('/api/v1/files').set(auth).set('content-type', 'audio/wav').set('x-file-name', '../../x').send(wav);
    expect(badName.body.error.details.issues[0].field).toBe('headers.x-file-name');
    expect(await readdir(dir)).toEqual([]);
  });

  it('needs the service token, and answers 404/400 for unknown or malformed ids', async () => {
    expect((await request(app).post('/api/v1/files').set('content-type', 'audio/wav').send(sineWav(-20, 0.5))).status).toBe(401);
    expect((await request(app).get('/api/v1/files/f_00000000-0000-4000-8000-000000000000').set(auth)).status).toBe(404);
    const bad = await request(app).get('/api/v1/files/..%2F..%2Fetc').set(auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].field).toBe('params.id');
  });
});
