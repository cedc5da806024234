import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDawgApp } from '../../src/dawg/app';
import { decodeWav } from '../../src/dawg/audio/io';
import { measureLoudness } from '../../src/dawg/audio/loudness';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { createMusicModule } from '../../src/dawg/modules/music';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { AgentSystem, createDefaultAgents } from '../../src/control-plane/agents';
import { ModuleRouter } from '../../src/control-plane/dawg-client';
import { FAST_AGENT_CONFIG, waitForTask } from '../helpers/agent-system';
import { openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';
import { listen, SERVICE_TOKEN, testConfig, type Listening } from '../helpers/servers';

/**
 * The MixingEngineer's blueprint pipeline end to end: control-plane task → ModuleRouter over
 * HTTP → the real DAWG with the music module → a rendered, measured, exported mix.
 */
jest.setTimeout(120_000);

let dir: string;
let dawg: Listening;
let files: FileStore;
let audio: AudioWorkerPool;
let testDb: TestDb;
let system: AgentSystem;
let router: ModuleRouter;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mixing-'));
  files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 100_000_000 });
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  const registry = new ModuleRegistry();
  const startedAt = Date.now();
  registry.register(createTestingModule({ listModules: () => registry.names(), dataDir: dir, startedAt }));
  audio = new AudioWorkerPool({ workers: 2, filesDir: path.join(dir, 'files') });
  registry.register(createMusicModule({ projects, files, audio }));
  registry.register(createCreativeModule({ files, projects, audio }));
  dawg = await listen(buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '5mb', startedAt, files, audio }));
  const config = testConfig({ AI_DAWG_BACKEND_URL: dawg.url });
  router = new ModuleRouter(config.dawg, silentLogger());
  testDb = await openTestDb('pglite');
  // The DAWG runs in this same process: its renders are on worker threads, but on a 2-core
  // machine running other test files they still starve this thread at times, so the heartbeat
  // gets the production timing (FAST_AGENT_CONFIG's 1 s lease could lapse under that load).
  const config2 = { ...FAST_AGENT_CONFIG, heartbeatMs: 5_000, workerStaleMs: 30_000 };
  system = new AgentSystem({ db: testDb.db, moduleRouter: router, logger: silentLogger(), config: config2, agents: createDefaultAgents() });
  await system.migrate();
  await system.start();
});

afterAll(async () => {
  await system?.stop(100);
  router?.close();
  await dawg?.close();
  await audio?.close();
  await testDb?.drop();
  await rm(dir, { recursive: true, force: true });
});

const call = async (module: string, action: string, params: Record<string, unknown>) => (await router.execute({ module, action, params })).result as Record<string, unknown>;

it('full-mix balances, equalises, compresses, spatialises and exports a MIDI project, reporting measured figures', async () => {
  const project = await call('music', 'create-project', { name: 'Neon Dreams', bpm: 110 });
  const bass = Array.from({ length: 16 }, (_, i) => ({ pitch: 36 + (i % 4 === 3 ? 7 : 0), velocity: 100, startBeats: i, durationBeats: 0.9 }));
  const drums = Array.from({ length: 16 }, (_, i) => ({ pitch: i % 2 ? 38 : 36, velocity: 110, startBeats: i, durationBeats: 0.5 }));
  const pad = [57, 60, 64].map((pitch) => ({ pitch, velocity: 70, startBeats: 0, durationBeats: 16 }));
  for (const [name, instrument, notes] of [['bass', 'bass', bass], ['drums', 'drums', drums], ['pad', 'pad', pad]] as const) {
    await call('music', 'add-track', { projectId: project.id, name, source: { kind: 'midi', instrument, notes } });
  }

  const task = await system.tasks.enqueue('MixingEngineer', { taskType: 'full-mix', payload: { projectId: project.id, targetLUFS: -14 }, priority: 'high' });
  const done = await waitForTask(system, task.id, undefined, 90_000);
  expect(done).toMatchObject({ status: 'completed', progress: 100 });

  const result = done.result as { mix: { fileId: string; analysis: { integratedLufs: number; truePeakDbtp: number; stereoWidthPercent: number } }; steps: Record<string, unknown> };
  expect(Object.keys(result.steps).sort()).toEqual(['balanced', 'compressed', 'eqApplied', 'spatial']); // jsonb does not keep key order
  // The exported file is real: decode it and measure it here, independently of the report.
  const stored = decodeWav((await files.get(result.mix.fileId)).data);
  expect(stored).toMatchObject({ bitDepth: 24, audio: { sampleRate: 48_000 } });
  const measured = measureLoudness(stored.audio);
  expect(result.mix.analysis.integratedLufs).toBeCloseTo(measured.integratedLufs!, 6);
  expect(measured.durationSeconds).toBeGreaterThan(8);
  const events = (await system.tasks.events(task.id)).filter((e) => e.type === 'task.progress').map((e) => (e.data as { percent: number }).percent);
  expect(events).toEqual([20, 40, 60, 80, 100]);
});
