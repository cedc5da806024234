import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { AppError } from '../../src/common/errors';
import { SunoProvider, UdioProvider, type SongProvider, type SongProviderConfig, type SongRequest } from '../../src/dawg/providers';

// Fake Suno (sunoapi.org format) and Udio (our assumed format) servers on 127.0.0.1, speaking
// exactly what docs/AI_MODELS.md specifies.

const KEY = 'sk-test-secret-key-123';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body: unknown;
}
type Reply = { status?: number; headers?: Record<string, string>; json?: unknown; raw?: string | Buffer };
type Routes = (seen: Seen, base: string) => Reply | undefined;

interface Fake {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function startFake(routes: Routes): Promise<Fake> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const text = Buffer.concat(chunks).toString('utf8');
      const entry: Seen = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        authorization: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(entry);
      const reply = routes(entry, `http://${req.headers.host}`) ?? { status: 404, json: { message: 'no route' } };
      const payload = reply.raw ?? JSON.stringify(reply.json);
      res.writeHead(reply.status ?? 200, { 'content-type': reply.raw ? 'application/octet-stream' : 'application/json', ...reply.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A tiny valid WAV: 16-bit mono 8 kHz, four samples. */
function tinyWav(): Buffer {
  const samples = [0, 1000, -1000, 0];
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** How a fake should behave; each provider's fake translates it into its own wire format. */
interface Scenario {
  pendingPolls?: number;
  submit?: Reply;
  poll?: Reply;
  fail?: { code: string; message: string };
  audioUrl?: (base: string) => string;
  audio?: Reply;
  neverFinishes?: boolean;
}

function sunoFake(s: Scenario = {}): Routes {
  let polls = 0;
  let wavPolls = 0;
  return (req, base) => {
    const url = s.audioUrl?.(base) ?? `${base}/files/song.wav`;
    if (req.method === 'POST' && req.path === '/api/v1/generate') return s.submit ?? { json: { code: 200, msg: 'success', data: { taskId: 'suno-task-1' } } };
    if (req.method === 'GET' && req.path === '/api/v1/generate/record-info') {
      if (s.poll) return s.poll;
      if (s.neverFinishes || polls++ < (s.pendingPolls ?? 2)) {
        return { json: { code: 200, msg: 'success', data: { taskId: req.query.taskId, status: polls === 2 ? 'TEXT_SUCCESS' : 'PENDING', response: null, errorCode: null, errorMessage: null } } };
      }
      if (s.fail) return { json: { code: 200, msg: 'success', data: { taskId: req.query.taskId, status: 'GENERATE_AUDIO_FAILED', response: null, errorCode: 400, errorMessage: s.fail.message } } };
      const sunoData = [{ id: 'audio-1', audioUrl: `${base}/files/song.mp3`, title: 'Neon Dreams', duration: 198.44 }, { id: 'audio-2', audioUrl: `${base}/files/2.mp3`, title: 'Neon Dreams', duration: 190 }];
      return { json: { code: 200, msg: 'success', data: { taskId: req.query.taskId, status: 'SUCCESS', response: { taskId: req.query.taskId, sunoData }, errorCode: null, errorMessage: null } } };
    }
    if (req.method === 'POST' && req.path === '/api/v1/wav/generate') return { json: { code: 200, msg: 'success', data: { taskId: 'wav-task-1' } } };
    if (req.method === 'GET' && req.path === '/api/v1/wav/record-info') {
      const done = wavPolls++ >= 1;
      return { json: { code: 200, msg: 'success', data: { taskId: req.query.taskId, musicId: 'audio-1', successFlag: done ? 'SUCCESS' : 'PENDING', response: done ? { audioWavUrl: url } : null, errorCode: null, errorMessage: null } } };
    }
    if (req.path === '/files/song.wav') return s.audio ?? { raw: tinyWav() };
    return undefined;
  };
}

function udioFake(s: Scenario = {}): Routes {
  let polls = 0;
  return (req, base) => {
    if (req.method === 'POST' && req.path === '/v1/songs') return s.submit ?? { status: 202, json: { id: 'udio-job-1', status: 'queued' } };
    if (req.method === 'GET' && req.path === '/v1/songs/udio-job-1') {
      if (s.poll) return s.poll;
      if (s.neverFinishes || polls++ < (s.pendingPolls ?? 2)) return { json: { id: 'udio-job-1', status: polls === 1 ? 'queued' : 'running' } };
      if (s.fail) return { json: { id: 'udio-job-1', status: 'failed', error: s.fail } };
      const audio_url = s.audioUrl?.(base) ?? `${base}/files/song.wav`;
      return { json: { id: 'udio-job-1', status: 'succeeded', result: { audio_url, title: 'Neon Dreams', duration_seconds: 30 } } };
    }
    if (req.path === '/files/song.wav') return s.audio ?? { raw: tinyWav() };
    return undefined;
  };
}

const request: SongRequest = { prompt: 'synthwave night drive', title: 'Neon Dreams', lyrics: '[Verse] city lights', genre: 'synthwave', durationSeconds: 30, instrumental: false };
const http0 = axios.create({ proxy: false });
const fakes: Fake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function configFor(fake: Fake, over: Partial<SongProviderConfig> = {}): SongProviderConfig {
  return { baseUrl: fake.url, apiKey: KEY, pollIntervalMs: 5, timeoutMs: 5_000, maxBytes: 1_000_000, ...over };
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err: unknown = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  expect(JSON.stringify({ m: err.message, d: err.details, c: String(err.cause) })).not.toContain(KEY);
  return err;
}

type Make = (cfg: SongProviderConfig, opts?: { allowedAudioOrigins?: string[] }) => SongProvider;
const providers: [string, (s?: Scenario) => Routes, Make, string][] = [
  ['suno', sunoFake, (c, o) => new SunoProvider(c, { ...o, http: http0 }), '/api/v1/generate/record-info'],
  ['udio', udioFake, (c, o) => new UdioProvider(c, { ...o, http: http0 }), '/v1/songs/udio-job-1'],
];

describe('SunoProvider wire format', () => {
  it('submits, polls twice while pending, converts to WAV and downloads it', async () => {
    const fake = await startFake(sunoFake());
    fakes.push(fake);
    const song = await new SunoProvider(configFor(fake), { http: http0, model: 'V4_5' }).generate(request, new AbortController().signal);

    expect(song).toMatchObject({ provider: 'suno', providerTaskId: 'suno-task-1', title: 'Neon Dreams', durationSeconds: 198.44 });
    expect(song.audio.equals(tinyWav())).toBe(true);
    expect(fake.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v1/generate',
      'GET /api/v1/generate/record-info',
      'GET /api/v1/generate/record-info',
      'GET /api/v1/generate/record-info',
      'POST /api/v1/wav/generate',
      'GET /api/v1/wav/record-info',
      'GET /api/v1/wav/record-info',
      'GET /files/song.wav',
    ]);
    expect(fake.seen.every((s) => s.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(fake.seen[0]?.body).toEqual({ prompt: '[Verse] city lights', style: 'synthwave, synthwave night drive', title: 'Neon Dreams', customMode: true, instrumental: false, model: 'V4_5' });
    expect(fake.seen[1]?.query).toEqual({ taskId: 'suno-task-1' });
    expect(fake.seen[4]?.body).toEqual({ taskId: 'suno-task-1', audioId: 'audio-1' });
    expect(fake.seen[5]?.query).toEqual({ taskId: 'wav-task-1' });
  });

  it('maps an in-body error code (HTTP 200, code 430) to PROVIDER_RATE_LIMITED', async () => {
    const fake = await startFake(sunoFake({ submit: { json: { code: 430, msg: 'Your call frequency is too high', data: null } } }));
    fakes.push(fake);
    const err = await rejection(new SunoProvider(configFor(fake), { http: http0 }).generate(request, new AbortController().signal));
    expect([err.status, err.code]).toEqual([503, 'PROVIDER_RATE_LIMITED']);
  });

  it('names the missing field when the record has no tracks', async () => {
    const poll = { json: { code: 200, msg: 'success', data: { taskId: 't', status: 'SUCCESS', response: { sunoData: [] } } } };
    const fake = await startFake(sunoFake({ poll }));
    fakes.push(fake);
    const err = await rejection(new SunoProvider(configFor(fake), { http: http0 }).generate(request, new AbortController().signal));
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(err.details).toMatchObject({ field: 'data.response.sunoData' });
  });
});

describe('UdioProvider assumed wire format', () => {
  it('submits, polls twice while pending and downloads the WAV', async () => {
    const fake = await startFake(udioFake());
    fakes.push(fake);
    const song = await new UdioProvider(configFor(fake), { http: http0 }).generate({ ...request, instrumental: true }, new AbortController().signal);

    expect(song).toMatchObject({ provider: 'udio', providerTaskId: 'udio-job-1', title: 'Neon Dreams', durationSeconds: 30 });
    expect(song.audio.equals(tinyWav())).toBe(true);
    expect(fake.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/songs', 'GET /v1/songs/udio-job-1', 'GET /v1/songs/udio-job-1', 'GET /v1/songs/udio-job-1', 'GET /files/song.wav']);
    expect(fake.seen.every((s) => s.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(fake.seen[0]?.body).toEqual({ prompt: 'synthwave night drive', title: 'Neon Dreams', tags: ['synthwave'], duration_seconds: 30, instrumental: true, output_format: 'wav' });
  });
});

describe.each(providers)('%s client failures', (_name, fakeOf, make, pollPath) => {
  async function run(s: Scenario, over: Partial<SongProviderConfig> = {}, opts?: { allowedAudioOrigins?: string[] }, signal = new AbortController().signal) {
    const fake = await startFake(fakeOf(s));
    fakes.push(fake);
    return { fake, result: make(configFor(fake, over), opts).generate(request, signal) };
  }

  it.each([401, 403])('HTTP %d → 502 PROVIDER_AUTH_FAILED without echoing the key', async (status) => {
    const { result } = await run({ submit: { status, json: { code: status, msg: `bad key ${KEY}` } } });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([502, 'PROVIDER_AUTH_FAILED']);
  });

  it('HTTP 429 → 503 PROVIDER_RATE_LIMITED with Retry-After', async () => {
    const { result } = await run({ submit: { status: 429, headers: { 'retry-after': '7' }, json: { message: 'slow down' } } });
    const err = await rejection(result);
    expect([err.status, err.code, err.retryAfterSeconds]).toEqual([503, 'PROVIDER_RATE_LIMITED', 7]);
  });

  it('HTTP 5xx → 503 PROVIDER_UNAVAILABLE', async () => {
    const { result } = await run({ poll: { status: 502, raw: 'bad gateway' } });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([503, 'PROVIDER_UNAVAILABLE']);
  });

  it('provider-reported failure → 502 PROVIDER_FAILED with its message (key redacted)', async () => {
    const { result } = await run({ pendingPolls: 1, fail: { code: 'moderation', message: `lyrics rejected for ${KEY}` } });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([502, 'PROVIDER_FAILED']);
    expect(err.message).toContain('lyrics rejected for [redacted]');
  });

  it('malformed JSON → 502 PROVIDER_BAD_RESPONSE', async () => {
    const { result } = await run({ poll: { raw: '{"code":200,"data":' } });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([502, 'PROVIDER_BAD_RESPONSE']);
    expect(err.message).toContain('not JSON');
  });

  it('a wrongly shaped answer names the field', async () => {
    const { result } = await run({ poll: { json: { code: 200, data: { taskId: 't', id: 'udio-job-1', status: 'DANCING' } } } });
    const err = await rejection(result);
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(err.message).toMatch(/field "(data\.)?status"/);
  });

  it('non-WAV download → 502 PROVIDER_BAD_RESPONSE', async () => {
    const { result } = await run({ audio: { raw: Buffer.from('ID3\x04 this is an mp3, honestly'.padEnd(64, '.')) } });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([502, 'PROVIDER_BAD_RESPONSE']);
    expect(err.message).toContain('not a WAV');
  });

  it('download larger than maxBytes → 502 PROVIDER_BAD_RESPONSE', async () => {
    const { result } = await run({}, { maxBytes: 50 });
    const err = await rejection(result);
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
    expect(err.message).toContain('larger than 50 bytes');
  });

  it('refuses an off-origin audio URL without fetching it', async () => {
    const cdn = await startFake(() => ({ raw: tinyWav() }));
    fakes.push(cdn);
    const { result } = await run({ audioUrl: () => `${cdn.url.replace('127.0.0.1', 'localhost')}/x.wav` });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([502, 'PROVIDER_BAD_RESPONSE']);
    expect(err.message).toContain('is not allowed');
    expect(cdn.seen).toHaveLength(0);
  });

  it('downloads from an allow-listed origin, without sending the key there', async () => {
    const cdn = await startFake(() => ({ raw: tinyWav() }));
    fakes.push(cdn);
    const { result } = await run({ audioUrl: () => `${cdn.url}/x.wav` }, {}, { allowedAudioOrigins: [cdn.url] });
    expect((await result).audio.equals(tinyWav())).toBe(true);
    expect(cdn.seen).toHaveLength(1);
    expect(cdn.seen[0]?.authorization).toBeUndefined();
  });

  it('deadline exceeded → 504 PROVIDER_TIMEOUT', async () => {
    const { fake, result } = await run({ neverFinishes: true }, { timeoutMs: 150, pollIntervalMs: 20 });
    const err = await rejection(result);
    expect([err.status, err.code]).toEqual([504, 'PROVIDER_TIMEOUT']);
    // A poll sent just before the deadline may reach the fake just after it: count once they have landed.
    await new Promise((r) => setTimeout(r, 50));
    const polls = fake.seen.filter((s) => s.path === pollPath).length;
    expect(polls).toBeGreaterThan(1);
    // Then no more polling.
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.seen.filter((s) => s.path === pollPath).length).toBe(polls);
  });

  it('honours the abort signal with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const { fake, result } = await run({ neverFinishes: true }, { pollIntervalMs: 20 }, undefined, controller.signal);
    setTimeout(() => controller.abort(reason), 60);
    await expect(result).rejects.toBe(reason);
    // A poll sent just before the abort may reach the fake just after it: count once it has landed.
    await new Promise((r) => setTimeout(r, 50));
    const polls = fake.seen.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.seen.length).toBe(polls);
  });
});
