import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildDawgApp } from '../../src/dawg/app';
import { encodeWav } from '../../src/dawg/audio/io';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
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
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await projects.init();
  const registry = new ModuleRegistry();
  registry.register(createCreativeModule({ files, projects, audio }));
  dawg = await listen(buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio }));
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url, AUDIO_UPLOAD_LIMIT: '2mb' } });
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await audio?.close();
  await rm(dir, { recursive: true, force: true });
});

const auth = (key = plane.userKey) => ({ authorization: `Bearer ${key}` });

it('uploads a WAV through the control plane, reads its analysis and downloads the same bytes', async () => {
  const wav = toneWav(2);
  const up = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'audio/wav').set('x-file-name', 'tone.wav').send(wav);
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ id: expect.stringMatching(/^f_/), name: 'tone.wav', bytes: wav.length, audio: { sampleRate: 48_000, channels: 1, bitDepth: 16 }, createdBy: plane.userKeyId });
  expect(typeof up.body.audio.integratedLufs).toBe('number');
  const meta = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}/meta`).set(auth());
  expect(meta.body).toEqual(up.body);
  const down = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).buffer(true).parse(binary);
  expect(down.status).toBe(200);
  expect(down.headers['content-type']).toMatch(/^audio\/wav/);
  expect(down.headers['x-content-sha256']).toBe(up.body.sha256);
  expect(Buffer.compare(down.body as Buffer, wav)).toBe(0);
  expect(down.headers['content-length']).toBe(String(wav.length));
  expect(down.headers['accept-ranges']).toBe('bytes');
  expect(down.headers.etag).toBe(`"${up.body.sha256}"`);

  // Byte ranges and validators pass through the gateway, as a player seeking in the file needs.
  const part = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).set('range', 'bytes=1000-1999').buffer(true).parse(binary);
  expect(part.status).toBe(206);
  expect(part.headers['content-range']).toBe(`bytes 1000-1999/${wav.length}`);
  expect(Buffer.compare(part.body as Buffer, wav.subarray(1000, 2000))).toBe(0);
  const tail = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).set('range', 'bytes=-10').buffer(true).parse(binary);
  expect(Buffer.compare(tail.body as Buffer, wav.subarray(wav.length - 10))).toBe(0);
  const unchanged = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).set('if-none-match', `"${up.body.sha256}"`);
  expect(unchanged.status).toBe(304);
  // If-Range with another version's ETag: the whole file, not the range.
  const other = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).set('range', 'bytes=0-9').set('if-range', '"not-this-version"').buffer(true).parse(binary);
  expect(other.status).toBe(200);
  expect((other.body as Buffer).length).toBe(wav.length);
  const outside = await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth()).set('range', `bytes=${wav.length + 10}-`);
  expect(outside.status).toBe(416);
  const head = await request(plane.app).head(`/api/v1/audio/files/${up.body.id}`).set(auth());
  expect(head.status).toBe(200);
  expect(head.headers['content-length']).toBe(String(wav.length));

  expect((await request(plane.app).delete(`/api/v1/audio/files/${up.body.id}`).set(auth())).status).toBe(204);
  expect((await request(plane.app).get(`/api/v1/audio/files/${up.body.id}`).set(auth())).status).toBe(404);
  expect((await request(plane.app).get(`/api/v1/audio/files/${up.body.id}/meta`).set(auth())).status).toBe(404);
  expect((await request(plane.app).delete(`/api/v1/audio/files/${up.body.id}`).set(auth())).status).toBe(404);
});

it('streams a file to a player through a media link: that path only, GET only, while the key is active', async () => {
  const wav = toneWav(1);
  const holder = await plane.apiKeys.create('player', []);
  const up = await request(plane.app).post('/api/v1/audio/files').set(auth(holder.key)).set('content-type', 'audio/wav').send(wav).expect(201);
  const filePath = `/api/v1/audio/files/${up.body.id}`;
  const made = await request(plane.app).post('/api/v1/media-links').set(auth(holder.key)).send({ path: filePath }).expect(200);
  expect(made.body.url).toMatch(new RegExp(`^${filePath}\\?link=${holder.id}\\.\\d+\\.[A-Za-z0-9_-]{43}$`));
  expect(Date.parse(made.body.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);

  // No key needed: the whole file, and a range of it, as an <audio> element asks.
  const whole = await request(plane.app).get(made.body.url).buffer(true).parse(binary).expect(200);
  expect(Buffer.compare(whole.body as Buffer, wav)).toBe(0);
  const part = await request(plane.app).get(made.body.url).set('range', 'bytes=44-99').buffer(true).parse(binary).expect(206);
  expect(Buffer.compare(part.body as Buffer, wav.subarray(44, 100))).toBe(0);

  // Bound to that GET of that path.
  const query = made.body.url.slice(filePath.length);
  const other = await request(plane.app).post('/api/v1/audio/files').set(auth()).set('content-type', 'audio/wav').send(toneWav(1)).expect(201);
  const elsewhere = await request(plane.app).get(`/api/v1/audio/files/${other.body.id}${query}`).expect(401);
  expect(elsewhere.body.error).toMatchObject({ code: 'MEDIA_LINK_INVALID' });
  await request(plane.app).get(`${filePath}/meta${query}`).expect(401);
  await request(plane.app).delete(made.body.url).expect(401);
  // One character of the signature changed (its first: every bit of it counts).
  const tampered = made.body.url.replace(/(\.\d+\.)(.)/, (_m: string, dot: string, c: string) => `${dot}${c === 'A' ? 'B' : 'A'}`);
  expect(tampered).not.toBe(made.body.url);
  expect((await request(plane.app).get(tampered).expect(401)).body.error.code).toBe('MEDIA_LINK_INVALID');
  expect((await request(plane.app).get(`${filePath}?link=nonsense`).expect(401)).body.error.code).toBe('MEDIA_LINK_INVALID');

  // Only paths that stream a file, named in the error.
  const refused = await request(plane.app).post('/api/v1/media-links').set(auth()).send({ path: '/api/v1/admin/api-keys' }).expect(400);
  expect(refused.body.error.details.issues[0].field).toBe('body.path');
  await request(plane.app).post('/api/v1/media-links').send({ path: filePath }).expect(401);

  // A revoked key's links stop working.
  await request(plane.app).delete(`/api/v1/admin/api-keys/${holder.id}`).set(auth(plane.adminKey)).expect(200);
  expect((await request(plane.app).get(made.body.url).expect(401)).body.error.code).toBe('MEDIA_LINK_REVOKED');
});

it('lets every key read every file, but only the key that stored it or an admin key delete it', async () => {
  const other = await plane.apiKeys.create('other-user', []);
  const upload = async (key: string) =>
    (await request(plane.app).post('/api/v1/audio/files').set(auth(key)).set('content-type', 'audio/wav').send(toneWav(1)).expect(201)).body as { id: string; createdBy: string };
  const theirs = await upload(other.key);
  expect(theirs.createdBy).toBe(other.id);
  const listed = await request(plane.app).get('/api/v1/audio/files').set(auth()).expect(200);
  expect(listed.body.files.map((f: { id: string }) => f.id)).toContain(theirs.id);

  const refused = await request(plane.app).delete(`/api/v1/audio/files/${theirs.id}`).set(auth()).expect(403);
  expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('only its creator or an admin API key') });
  await request(plane.app).get(`/api/v1/audio/files/${theirs.id}/meta`).set(auth()).expect(200);
  await request(plane.app).delete(`/api/v1/audio/files/${theirs.id}`).set(auth(plane.adminKey)).expect(204);

  // Stored by another key (here the admin's), or before creators were recorded: not this key's to delete.
  const admins = await upload(plane.adminKey);
  const legacy = await request(dawg.url).post('/api/v1/files').set('authorization', `Bearer ${SERVICE_TOKEN}`).set('content-type', 'audio/wav').send(toneWav(1)).expect(201);
  expect(legacy.body.createdBy).toBeUndefined();
  for (const id of [admins.id, legacy.body.id as string]) {
    await request(plane.app).delete(`/api/v1/audio/files/${id}`).set(auth(other.key)).expect(403);
    await request(plane.app).delete(`/api/v1/audio/files/${id}`).set(auth(plane.adminKey)).expect(204);
  }
});

it('a song generated through execute answers the url its clients download it from, with the caller as its creator', async () => {
  const res = await request(plane.app)
    .post('/api/v1/execute')
    .set(auth())
    .send({ module: 'creative', action: 'generate-audio', params: { prompt: 'a short pop sketch', duration: 10 } })
    .expect(200);
  const { fileId, url } = res.body.result as { fileId: string; url: string };
  expect(url).toBe(`/api/v1/audio/files/${fileId}`);
  const down = await request(plane.app).get(url).set(auth()).buffer(true).parse(binary).expect(200);
  expect(down.headers['content-type']).toMatch(/^audio\/wav/);
  expect((down.body as Buffer).subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect((await request(plane.app).get(`${url}/meta`).set(auth()).expect(200)).body.createdBy).toBe(plane.userKeyId);
}, 60_000);

it('the DAWG refuses a malformed caller or owner filter, naming the field', async () => {
  const badActor = await request(dawg.url).post('/api/v1/files').set('authorization', `Bearer ${SERVICE_TOKEN}`).set('x-jarvis-actor', 'no spaces!').set('content-type', 'audio/wav').send(toneWav(1)).expect(400);
  expect(JSON.stringify(badActor.body.error)).toContain('headers.x-jarvis-actor');
  const badOwner = await request(dawg.url).delete('/api/v1/files/f_00000000-0000-4000-8000-000000000000?ownedBy=%20').set('authorization', `Bearer ${SERVICE_TOKEN}`).expect(400);
  expect(JSON.stringify(badOwner.body.error)).toContain('query.ownedBy');
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
