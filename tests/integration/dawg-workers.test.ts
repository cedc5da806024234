import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { InvalidError } from '../../src/common/errors';
import { buildDawgApp } from '../../src/dawg/app';
import { decodeWav, encodeWav } from '../../src/dawg/audio/io';
import { measureLoudness } from '../../src/dawg/audio/loudness';
import type { AudioData } from '../../src/dawg/audio/types';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { loadDawgConfig } from '../../src/dawg/config';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { capturingLogger, silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/**
 * The AI DAWG's audio work runs on worker threads: its event loop keeps answering while a long
 * master runs, a caller that goes away stops the worker's task, and a worker that dies is an
 * error answer for its request, not a dead service.
 */
jest.setTimeout(120_000);

let dir: string;
let files: FileStore;
let projects: ProjectStore;

interface Dawg extends Listening {
  registry: ModuleRegistry;
  audio: AudioWorkerPool;
}

async function startDawg(audio: AudioWorkerPool): Promise<Dawg> {
  const registry = new ModuleRegistry();
  registry.register(createCreativeModule({ files, projects, audio }));
  const app = buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt: Date.now(), files, audio });
  return { ...(await listen(app)), registry, audio };
}

const execute = (dawg: Dawg, module: string, action: string, params: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${dawg.url}/api/v1/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ module, action, params }),
    signal,
  });

/** A minute of a stereo two-tone signal at 48 kHz. */
function minuteOfAudio(): AudioData {
  const n = 48_000 * 60;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = 0.2 * Math.sin(i * 0.0576) + 0.05 * Math.sin(i * 0.31);
    right[i] = 0.9 * left[i]!;
  }
  return { sampleRate: 48_000, channels: [left, right] };
}

/** Six one-minute tracks through a reverb: rendering and mastering it takes seconds. */
async function longProject(fileId: string): Promise<string> {
  const tracks = Array.from({ length: 6 }, (_, i) => ({
    id: `t_${i}`,
    name: `stem ${i}`,
    source: { kind: 'audio' as const, fileId },
    gainDb: -8,
    pan: (i - 2.5) / 3,
    mute: false,
    solo: false,
    plugins: [{ type: 'reverb' as const, params: { wet: 0.3 }, bypass: false }],
  }));
  return (await projects.create({ name: 'long render', sampleRate: 48_000, bpm: 120, tracks })).id;
}

let fileId: string;
let projectId: string;
let dawg: Dawg;
/** How long mastering the long project took, measured by the first test. */
let masterMs = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dawg-workers-'));
  files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 100_000_000 });
  projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  fileId = (await files.put(encodeWav(minuteOfAudio(), { bitDepth: 16, format: 'pcm' }), { name: 'minute.wav', contentType: 'audio/wav' })).id;
  projectId = await longProject(fileId);
  dawg = await startDawg(new AudioWorkerPool({ workers: 1, filesDir: path.join(dir, 'files') }));
  // The worker thread starts (tsx and the audio modules load) before anything is timed.
  await dawg.audio.analyzeFile(fileId);
});
afterAll(async () => {
  await dawg?.close();
  await dawg?.audio.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Asks `url` again and again from a thread of its own until told to stop. It must not share
 * the test's event loop: a client on a blocked loop would only send when the loop is free
 * again, and so never see the wait.
 */
function healthProbe(url: string): { stop(): Promise<Array<{ ms: number; at: number; status: number }>> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    let stopping = false;
    const answers = [];
    parentPort.once('message', () => { stopping = true; });
    (async () => {
      while (!stopping) {
        const sent = performance.now();
        const res = await fetch(workerData.url);
        await res.text();
        answers.push({ ms: performance.now() - sent, at: Date.now(), status: res.status });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      parentPort.postMessage(answers);
    })();`;
  const probe = new Worker(code, { eval: true, workerData: { url } });
  return {
    async stop() {
      const answers = once(probe, 'message');
      probe.postMessage('stop');
      const [list] = (await answers) as [Array<{ ms: number; at: number; status: number }>];
      await probe.terminate();
      return list;
    },
  };
}

it('answers /health promptly while a long master runs on a worker', async () => {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const probe = healthProbe(`${dawg.url}/health`);
  await sleep(200);
  const started = Date.now();
  loopDelay.enable();
  const res = await execute(dawg, 'creative', 'master-track', { projectId, target: 'spotify' });
  const finishedAt = Date.now();
  loopDelay.disable();
  const body = (await res.json()) as { result: { meetsTarget: boolean } };
  const answers = await probe.stop();
  masterMs = finishedAt - started;

  expect(res.status).toBe(200);
  expect(body.result.meetsTarget).toBe(true);
  // The premise: this master is long enough that a blocked loop would be felt.
  expect(masterMs).toBeGreaterThan(1_000);
  const during = answers.filter((a) => a.at > started && a.at < finishedAt);
  expect(during.length).toBeGreaterThanOrEqual(3);
  for (const a of during) expect(a.status).toBe(200);
  // Each answer took a small fraction of the master's time, not a wait for it to end; and the
  // loop itself was never held for long (inline, one track's render holds it for a second).
  expect(Math.max(...during.map((a) => a.ms))).toBeLessThan(masterMs / 10);
  expect(loopDelay.max / 1e6).toBeLessThan(masterMs / 10);
});

it('stops the worker task when the action’s signal is aborted, and stores nothing', async () => {
  const [busyThread] = dawg.audio.threadIds;
  const stored = (await files.list()).length;
  const controller = new AbortController();
  const ctx = { requestId: 'abort-test', signal: controller.signal, logger: silentLogger() };
  const started = performance.now();
  const run = dawg.registry.execute({ module: 'creative', action: 'master-track', params: { projectId, target: 'spotify' } }, ctx);
  await sleep(300);
  controller.abort(new Error('caller went away'));
  await expect(run).rejects.toThrow('caller went away');
  expect(performance.now() - started).toBeLessThan(masterMs);
  // piscina terminated the thread that was running the task and started a fresh one.
  expect(dawg.audio.threadIds).not.toContain(busyThread);
  await sleep(500);
  expect((await files.list()).length).toBe(stored);
  // The pool goes on serving.
  await expect(dawg.audio.analyzeFile(fileId)).resolves.toMatchObject({ analysis: { channels: 2 } });
});

it('stops the worker task when the HTTP caller disconnects', async () => {
  const [busyThread] = dawg.audio.threadIds;
  const controller = new AbortController();
  const request = execute(dawg, 'creative', 'master-track', { projectId, target: 'youtube' }, controller.signal).catch((err: Error) => err.name);
  await sleep(300);
  controller.abort();
  expect(await request).toBe('AbortError');
  const deadline = performance.now() + masterMs;
  while (dawg.audio.threadIds.includes(busyThread!) && performance.now() < deadline) await sleep(20);
  expect(dawg.audio.threadIds).not.toContain(busyThread);
});

it('carries a worker’s 4xx errors to the client with the same status, code and details', async () => {
  const silent = encodeWav({ sampleRate: 48_000, channels: [new Float32Array(48_000)] }, { bitDepth: 16, format: 'pcm' });
  const silentId = (await files.put(silent, { name: 'silence.wav', contentType: 'audio/wav' })).id;
  const res = await execute(dawg, 'creative', 'master-track', { fileId: silentId });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({
    error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('silent'), details: { issues: [{ field: 'file', message: 'has no measurable loudness' }] } },
  });
  const missing = await projects.create({ name: 'gone', sampleRate: 48_000, bpm: 120, tracks: [{ id: 't', name: 't', source: { kind: 'audio', fileId: 'f_00000000-0000-4000-8000-000000000000' }, gainDb: 0, pan: 0, mute: false, solo: false, plugins: [] }] });
  const notFound = await execute(dawg, 'creative', 'master-track', { projectId: missing.id });
  expect(notFound.status).toBe(404);
  expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe('FILE_NOT_FOUND');
  // And on the main side it is the same class again.
  await expect(dawg.audio.analyzeWav(new Uint8Array(8))).rejects.toBeInstanceOf(InvalidError);
});

it('moves a caller’s audio to the worker instead of copying it, and moves the WAV back', async () => {
  const audio = minuteOfAudio();
  const [left] = audio.channels;
  const { wav, processing } = await dawg.audio.master({ audio }, { lufs: -16, truePeakDbtp: -1 });
  expect(left!.byteLength).toBe(0); // detached: its buffer went to the worker
  expect(measureLoudness(decodeWav(wav).audio).integratedLufs!).toBeCloseTo(-16, 0);
  expect(processing.iterations).toBeGreaterThanOrEqual(1);
});

it('turns a worker that dies (out of memory) into a 500 answer, and keeps serving', async () => {
  // A worker entry that dies on master-track as an out-of-memory worker does: no answer, just gone.
  const crashing = path.join(dir, 'crashing-worker.ts');
  const real = path.resolve(__dirname, '../../src/dawg/audio/worker/audio-worker.ts');
  await writeFile(
    crashing,
    `import handle from ${JSON.stringify(real)};
export default function crashOnMaster(task: { kind: string }): Promise<unknown> {
  if (task.kind !== 'master') return handle(task as Parameters<typeof handle>[0]);
  setImmediate(() => { throw new RangeError('Array buffer allocation failed'); });
  return new Promise(() => undefined);
}
`,
  );
  const { logger, lines } = capturingLogger();
  const broken = await startDawg(new AudioWorkerPool({ workers: 1, filesDir: path.join(dir, 'files'), filename: crashing, logger }));
  try {
    const res = await execute(broken, 'creative', 'master-track', { fileId });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AUDIO_WORKER_FAILED');
    expect(lines()).toContainEqual(expect.objectContaining({ message: 'audio worker failed', task: 'master' }));
    expect((await fetch(`${broken.url}/health`)).status).toBe(200);
    // A fresh worker took the dead one's place: other audio work still succeeds.
    const upload = await fetch(`${broken.url}/api/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'audio/wav' },
      body: encodeWav({ sampleRate: 48_000, channels: [new Float32Array(4_800).fill(0.1)] }, { bitDepth: 16, format: 'pcm' }),
    });
    expect(upload.status).toBe(201);
  } finally {
    await broken.close();
    await broken.audio.close();
  }
});

it('reads AI_DAWG_AUDIO_WORKERS: CPUs − 1 (at least 1) by default, 0 for inline, bounded', () => {
  const env = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  expect(loadDawgConfig(env).audioWorkers).toBeGreaterThanOrEqual(1);
  expect(loadDawgConfig({ ...env, AI_DAWG_AUDIO_WORKERS: '' }).audioWorkers).toBe(loadDawgConfig(env).audioWorkers);
  expect(loadDawgConfig({ ...env, AI_DAWG_AUDIO_WORKERS: '0' }).audioWorkers).toBe(0);
  expect(loadDawgConfig({ ...env, AI_DAWG_AUDIO_WORKERS: '3' }).audioWorkers).toBe(3);
  expect(() => loadDawgConfig({ ...env, AI_DAWG_AUDIO_WORKERS: '-1' })).toThrow(/AI_DAWG_AUDIO_WORKERS/);
  expect(() => loadDawgConfig({ ...env, AI_DAWG_AUDIO_WORKERS: 'many' })).toThrow(/AI_DAWG_AUDIO_WORKERS/);
});

it('reads AI_DAWG_RENDER_CACHE_MB: 512 by default, 0 for none, bounded', () => {
  const env = { AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN };
  expect(loadDawgConfig(env).renderCacheMb).toBe(512);
  expect(loadDawgConfig({ ...env, AI_DAWG_RENDER_CACHE_MB: '0' }).renderCacheMb).toBe(0);
  expect(() => loadDawgConfig({ ...env, AI_DAWG_RENDER_CACHE_MB: '-1' })).toThrow(/AI_DAWG_RENDER_CACHE_MB/);
});

test('a full queue refuses more audio work with 503 AUDIO_BUSY instead of piling it up', async () => {
  const pool = new AudioWorkerPool({ workers: 1, filesDir: path.join(dir, 'files'), maxQueue: 1 });
  try {
    await pool.analyzeFile(fileId);
    // Same tick: the first takes the one thread, the second waits, the third finds the queue full.
    const calls = [pool.analyzeFile(fileId), pool.analyzeFile(fileId), pool.analyzeFile(fileId)];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ status: 503, code: 'AUDIO_BUSY', retryAfterSeconds: 10 });
  } finally {
    await pool.close();
  }
});
