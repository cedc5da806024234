import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore } from '../../src/dawg/storage';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/** Audio files through the gateway: control plane → AI DAWG file store and back. */
let dir: string;
let dawg: Listening;
let plane: TestPlane;
let audio: AudioWorkerPool;

function toneWav(seconds: number): Buffer {
  const n = Math.round(seconds * 48_000);
  const ch = new Float32Array(n);
  for (let i = 0; i < n; i++) ch[i] = 0.1 * Math.sin((2 * Math.PI * 440 * i) / 48_000);
  return encodeWav({ sampleRate: 48_000, channels: [ch] }, { bitDepth: 16, format: 'pcm' });
}

const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'audio-routes-'));
  const files = new FileStore({ dir, maxBytes: 10_000_000 });
  await files.init();
  audio = new AudioWorkerPool({ workers: 1, filesDir: dir });
  dawg = await listen(buildDawgApp({ registry: new ModuleRegistry(), logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio }));
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url, AUDIO_UPLOAD_LIMIT: '2mb' } });
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await audio?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${plane.userKey}` });

it('uploads a WAV through the control plane, reads its analysis and downloads the same bytes', async () => {
  const wav = toneWav(2);
  const up = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'audio/wav').set('x-file-name', 'tone.wav').send(wav);
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ id: expect.stringMatching(/^f_/), name: 'tone.wav', bytes: wav.length, audio: { sampleRate: 48_000, channels: 1, bitDepth: 16 } });
  expect(typeof up.body.audio.integratedLufs).toBe('number');
  const meta = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}/meta`).set(auth());
  expect(meta.body).toEqual(up.body);
  const down = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).buffer(true).parse(binary);
  expect(down.status).toBe(200);
  expect(down.headers['content-type']).toMatch(/^audio\/wav/);
  expect(down.headers['x-content-sha256']).toBe(up.body.sha256);
  expect(Buffer.compare(down.body as Buffer, wav)).toBe(0);
  expect((await request(plane.app).delete(`/api/v1/audio/files/${up.body.id}`).set(auth())).status).toBe(204);
  expect((await request(plane.app).get(`/api/v1/audio/files/${up.body.id}/meta`).set(auth())).status).toBe(404);
  expect((await request(plane.app).delete(`/api/v1/audio/files/${up.body.id}`).set(auth())).status).toBe(404);
});

it('passes the DAWG’s 400 through, naming the problem, and refuses other content types and oversized files', async () => {
  const notWav = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'audio/wav').send(Buffer.from('ID3 not a wav at all'));
  expect(notWav.status).toBe(400);
  expect(notWav.body.error.details.issues[0].field).toBe('file');
  const wrongType = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'text/plain').send('hello');
  expect(wrongType.status).toBe(400);
  expect(wrongType.body.error.details.issues[0].field).toBe('headers.content-type');
  const tooBig = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'audio/wav').send(Buffer.alloc(3 * 2 ** 20));
  expect(tooBig.status).toBe(413);
});

it('answers 404 for an unknown file and 400 for a malformed id', async () => {
  const missing = await request(plane.app).get('/api/v1/audio/files/f_00000000-0000-4000-8000-000000000000').set(auth());
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('FILE_NOT_FOUND');
  const malformed = await request(plane.app).get('/api/v1/audio/files/nope/meta').set(auth());
  expect(malformed.status).toBe(400);
  expect(malformed.body.error.details.issues[0].field).toBe('params.id');
});
