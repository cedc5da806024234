/**
 * `npm run bench:mixing`: the MixingEngineer's full-mix pipeline on a generated song, step by
 * step, with the synth render cache off and on (AI_DAWG_RENDER_CACHE_MB). Each mixing step
 * (balance-levels, apply-eq, apply-dynamics, spatial-processing, export-mix) renders the whole
 * project again; with the cache, each MIDI part is synthesised once.
 *
 * The song is `creative.generate-audio` (local composer, synthwave, BENCH_MIX_SECONDS, default
 * 180 s: the blueprint's default length), the steps run with the settings `runFullMix` uses, on
 * one audio worker thread as the DAWG runs them. Prints seconds per step and the total for each
 * run, and the load average (other work on the machine moves every figure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AudioWorkerPool } from '../src/dawg/audio/worker';
import { createCreativeModule } from '../src/dawg/modules/creative';
import { createMusicModule } from '../src/dawg/modules/music';
import { ModuleRegistry } from '../src/dawg/sdk';
import { FileStore, ProjectStore } from '../src/dawg/storage';
import { createLogger } from '../src/common/logger';

const SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 180);
const CACHE_MB = Number(process.env.BENCH_MIX_CACHE_MB ?? 512);

const STEPS: Array<[string, (projectId: string) => Record<string, unknown>]> = [
  ['balance-levels', (projectId) => ({ projectId, targetLUFS: -14, analyzeFrequencies: true })],
  ['apply-eq', (projectId) => ({ projectId, eqProfile: 'mastering-ready', autoCorrectResonances: true })],
  ['apply-dynamics', (projectId) => ({ projectId, compressionRatio: 3, threshold: -16, attackMs: 10, releaseMs: 100 })],
  ['spatial-processing', (projectId) => ({ projectId, stereoWidth: 80, reverbAmount: 30, delayPatterns: [] })],
  ['export-mix', (projectId) => ({ projectId, format: 'wav', bitDepth: 24, sampleRate: 48_000 })],
];

async function run(cacheMb: number): Promise<Array<[string, number]>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-mixing-'));
  const files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 2 ** 30 });
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  const audio = new AudioWorkerPool({ workers: 1, filesDir: path.join(dir, 'files'), renderCacheBytes: cacheMb * 2 ** 20 });
  const registry = new ModuleRegistry();
  registry.register(createMusicModule({ projects, files, audio }));
  registry.register(createCreativeModule({ files, projects, audio }));
  const ctx = { requestId: 'bench', signal: new AbortController().signal, logger: createLogger({ level: 'error', service: 'bench' }) };
  const times: Array<[string, number]> = [];
  const timed = async (module: string, action: string, params: Record<string, unknown>) => {
    const t0 = performance.now();
    const { result } = await registry.execute({ module, action, params }, ctx);
    times.push([action, (performance.now() - t0) / 1000]);
    return result as { projectId: string };
  };
  try {
    const { projectId } = await timed('creative', 'generate-audio', { prompt: 'a synthwave night drive', genre: 'synthwave', duration: SECONDS });
    for (const [action, params] of STEPS) await timed('music', action, params(projectId));
  } finally {
    await audio.close();
    await rm(dir, { recursive: true, force: true });
  }
  return times;
}

async function main(): Promise<void> {
  console.log(`Mixing a generated ${SECONDS} s song, one audio worker (load ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')})\n`);
  const off = await run(0);
  const on = await run(CACHE_MB);
  const rows = off.map(([step, seconds], i) => [step, seconds, on[i]![1]] as const);
  const mixing = (times: Array<[string, number]>) => times.slice(1).reduce((sum, [, s]) => sum + s, 0);
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('step', 20)} ${'cache off s'.padStart(12)} ${`cache ${CACHE_MB} MiB s`.padStart(18)}`);
  for (const [step, a, b] of rows) console.log(`${pad(step, 20)} ${a.toFixed(2).padStart(12)} ${b.toFixed(2).padStart(18)}`);
  console.log(`${pad('mixing (5 steps)', 20)} ${mixing(off).toFixed(2).padStart(12)} ${mixing(on).toFixed(2).padStart(18)}`);
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
