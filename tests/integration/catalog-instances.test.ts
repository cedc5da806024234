import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { encodeWav } from '../../src/dawg/audio/io/wav-encoder';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { openTestDb, type TestDb } from '../helpers/db';
import { SERVICE_TOKEN } from '../helpers/servers';

/*
 * Two control-plane instances on one PostgreSQL and one AI DAWG, each with its own data
 * directory: a track published through one streams from the other, which copies it from the
 * DAWG's source file (checked against the published SHA-256) the first time it is asked for.
 */

jest.setTimeout(60_000);

let dawg: AudioDawg;
let testDb: TestDb;
let work: string;
let a: TestPlane;
let b: TestPlane;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'jarvis-catalog-instances-'));
  dawg = await startAudioDawg({ workers: 1 });
  testDb = await openTestDb('postgres');
  const plane = (dir: string) => startTestPlane({ testDb, env: { AI_DAWG_BACKEND_URL: dawg.url, JARVIS_DATA_DIR: path.join(work, dir) } });
  a = await plane('a');
  b = await plane('b');
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await testDb?.drop();
  await dawg?.close();
  await rm(work, { recursive: true, force: true });
});

const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

/** Half a second of a tone, stored (and measured) by the DAWG, then published through instance A. */
async function publish(title: string): Promise<{ trackId: string; fileId: string; wav: Buffer }> {
  const tone = Float32Array.from({ length: 24_000 }, (_, i) => 0.1 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
  const wav = encodeWav({ sampleRate: 48_000, channels: [tone, tone] }, { bitDepth: 24, format: 'pcm' });
  const stored = await request(dawg.url).post('/api/v1/files').set('authorization', `Bearer ${SERVICE_TOKEN}`).set('content-type', 'audio/wav').send(wav).expect(201);
  const track = await a.catalog.publish({ fileId: stored.body.id, title }, {});
  return { trackId: track.id, fileId: stored.body.id, wav };
}

/** The error body of a stream answer (read as bytes like the audio). */
const errorOf = (res: request.Response) => (JSON.parse((res.body as Buffer).toString('utf8')) as { error: { code: string; message: string } }).error;

const stream = (plane: TestPlane, trackId: string) =>
  request(plane.app).get(`/catalog/tracks/${trackId}/stream`).set('authorization', `Bearer ${plane.userKey}`).buffer(true).parse(binary);

it('streams a track published through another instance, copying it once from the DAWG', async () => {
  const { trackId, wav } = await publish('Shared');
  const bFile = path.join(work, 'b', 'catalog', `${trackId}.wav`);
  await expect(stat(bFile)).rejects.toMatchObject({ code: 'ENOENT' });

  // Concurrent first requests share one copy; every answer is the published bytes.
  const answers = await Promise.all([stream(b, trackId), stream(b, trackId), stream(b, trackId)]);
  for (const res of answers) {
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, wav)).toBe(0);
    expect(res.headers['x-content-sha256']).toBe(createHash('sha256').update(wav).digest('hex'));
  }
  expect(Buffer.compare(await readFile(bFile), wav)).toBe(0);
  // Ranges work on the copy as on the original.
  const part = await stream(b, trackId).set('range', 'bytes=0-3').expect(206);
  expect((part.body as Buffer).toString('latin1')).toBe('RIFF');
  // A range past the end is the client's mistake (416 with the file's size), not a server error.
  const outside = await stream(b, trackId).set('range', `bytes=${wav.length + 1}-`).expect(416);
  expect(outside.headers['content-range']).toBe(`bytes */${wav.length}`);
  expect(errorOf(outside)).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
  // A media link made by one instance streams from the other (same configured tokens), without a key.
  const link = await request(a.app).post('/api/v1/media-links').set('authorization', `Bearer ${a.userKey}`).send({ path: `/catalog/tracks/${trackId}/stream` }).expect(200);
  const linked = await request(b.app).get(link.body.url).set('range', 'bytes=0-3').buffer(true).parse(binary).expect(206);
  expect((linked.body as Buffer).toString('latin1')).toBe('RIFF');
});

it('answers 404 TRACK_FILE_MISSING when neither this instance nor the DAWG has the audio any more', async () => {
  const { trackId, fileId } = await publish('Gone');
  await request(dawg.url).delete(`/api/v1/files/${fileId}`).set('authorization', `Bearer ${SERVICE_TOKEN}`).expect(204);
  const res = await stream(b, trackId).expect(404);
  expect(errorOf(res)).toMatchObject({ code: 'TRACK_FILE_MISSING', message: expect.stringContaining(fileId) });
  // The instance that published it still has its copy.
  await stream(a, trackId).expect(200);
});

it('never serves a copy that does not match the published SHA-256', async () => {
  const { trackId, fileId } = await publish('Tampered');
  // The DAWG's stored bytes changed behind its back (same length, one byte off).
  const onDawg = path.join(dawg.dataDir, 'files', `${fileId}.bin`);
  const bytes = await readFile(onDawg);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  await writeFile(onDawg, bytes);
  const res = await stream(b, trackId).expect(502);
  expect(errorOf(res).code).toBe('DAWG_BAD_RESPONSE');
  await expect(stat(path.join(work, 'b', 'catalog', `${trackId}.wav`))).rejects.toMatchObject({ code: 'ENOENT' });
  // Nor is the refused copy left behind half-named.
  expect((await readdir(path.join(work, 'b', 'catalog'))).filter((name) => name.startsWith(trackId))).toEqual([]);
});
