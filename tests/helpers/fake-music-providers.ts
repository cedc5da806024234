import http from 'node:http';
import type { AddressInfo } from 'node:net';

// Fake Suno (sunoapi.org format) and Udio (our assumed format) servers on 127.0.0.1, speaking
// exactly what docs/AI_MODELS.md specifies.

export interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body: unknown;
}
export type Reply = { status?: number; headers?: Record<string, string>; json?: unknown; raw?: string | Buffer };
export type Routes = (seen: Seen, base: string) => Reply | undefined;

export interface Fake {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

export async function startFake(routes: Routes): Promise<Fake> {
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

/** A 16-bit PCM WAV file around interleaved sample bytes. */
function pcm16Wav(sampleRate: number, channels: number, data: Buffer): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A tiny valid WAV: 16-bit mono 8 kHz, four samples. */
export function tinyWav(): Buffer {
  const samples = [0, 1000, -1000, 0];
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  return pcm16Wav(8000, 1, data);
}

/** How a fake should behave; each provider's fake translates it into its own wire format. */
export interface Scenario {
  pendingPolls?: number;
  submit?: Reply;
  poll?: Reply;
  fail?: { code: string; message: string };
  audioUrl?: (base: string) => string;
  audio?: Reply;
  neverFinishes?: boolean;
}

export function sunoFake(s: Scenario = {}): Routes {
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

export function udioFake(s: Scenario = {}): Routes {
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

/** A 16-bit stereo 44.1 kHz WAV of a 440 Hz tone at −12 dBFS: long enough for loudness measurement. */
export function toneWav(seconds = 2): Buffer {
  const rate = 44_100;
  const frames = Math.round(seconds * rate);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const s = Math.round(0.25 * 32_767 * Math.sin((2 * Math.PI * 440 * i) / rate));
    data.writeInt16LE(s, i * 4);
    data.writeInt16LE(s, i * 4 + 2);
  }
  return pcm16Wav(rate, 2, data);
}
