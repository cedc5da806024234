import axios from 'axios';
import { AppError } from '../../src/common/errors';
import { loadDawgConfig } from '../../src/dawg/config';
import { songProvidersFrom, SunoProvider, UdioProvider, type SongProvider, type SongProviderConfig, type SongRequest } from '../../src/dawg/providers';
import { startFake, sunoFake, tinyWav, udioFake, type Fake, type Routes, type Scenario } from '../helpers/fake-music-providers';

const KEY = 'sk-test-secret-key-123';

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

describe('clients from the AI DAWG environment', () => {
  test('SUNO_* and UDIO_* build both clients, which generate against their URLs (audio origins included)', async () => {
    const sunoApi = await startFake(sunoFake({ pendingPolls: 0, audioUrl: () => `${sunoCdn.url}/files/song.wav` }));
    const sunoCdn = await startFake((req) => (req.path === '/files/song.wav' ? { raw: tinyWav() } : undefined));
    const udioApi = await startFake(udioFake({ pendingPolls: 0 }));
    fakes.push(sunoApi, sunoCdn, udioApi);
    const config = loadDawgConfig({
      AI_DAWG_SERVICE_TOKEN: 'test-service-token-0123456789abcdef0123456789',
      SUNO_API_KEY: KEY, SUNO_API_URL: sunoApi.url, SUNO_AUDIO_ORIGINS: sunoCdn.url,
      UDIO_API_KEY: KEY, UDIO_API_URL: udioApi.url,
      MUSIC_PROVIDER_POLL_MS: '100',
    });
    const built = songProvidersFrom(config.musicProviders);
    expect(Object.keys(built).sort()).toEqual(['suno', 'udio']);
    for (const provider of [built.suno!, built.udio!]) {
      const song = await provider.generate(request, new AbortController().signal);
      expect(song.audio.subarray(0, 4).toString('ascii')).toBe('RIFF');
    }
    expect(sunoApi.seen[0]!.authorization).toBe(`Bearer ${KEY}`);
    expect(udioApi.seen[0]!.authorization).toBe(`Bearer ${KEY}`);
    // Udio needs its URL as well as its key.
    expect(songProvidersFrom(loadDawgConfig({ AI_DAWG_SERVICE_TOKEN: 'test-service-token-0123456789abcdef0123456789', UDIO_API_KEY: KEY }).musicProviders).udio).toBeUndefined();
  });
});
