import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { buildDawgApp } from '../../src/dawg/app';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { createMusicModule } from '../../src/dawg/modules/music';
import type { SongProvider } from '../../src/dawg/providers';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import { silentLogger } from './logger';
import { listen, SERVICE_TOKEN, type Listening } from './servers';

export interface AudioDawg extends Listening {
  /** The DAWG's Express app (the same one listening at `url`). */
  app: Express;
  registry: ModuleRegistry;
  files: FileStore;
  projects: ProjectStore;
  audio: AudioWorkerPool;
  dataDir: string;
}

/**
 * The AI DAWG as main.ts builds it for audio work: file and project stores, audio workers,
 * testing, music and creative modules and the file routes, on an ephemeral port and a
 * temporary data dir (removed by close).
 */
export async function startAudioDawg(options: { workers?: number; renderCacheBytes?: number; providers?: Partial<Record<'suno' | 'udio', SongProvider>> } = {}): Promise<AudioDawg> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jarvis-audio-dawg-'));
  const filesDir = path.join(dataDir, 'files');
  const files = new FileStore({ dir: filesDir, maxBytes: 512 * 2 ** 20 });
  const projects = new ProjectStore(path.join(dataDir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  const audio = new AudioWorkerPool({ workers: options.workers ?? 2, filesDir, renderCacheBytes: options.renderCacheBytes });
  const registry = new ModuleRegistry();
  const startedAt = Date.now();
  registry.register(createTestingModule({ listModules: () => registry.names(), dataDir, startedAt, files, audio }));
  registry.register(createMusicModule({ projects, files, audio }));
  registry.register(createCreativeModule({ files, projects, audio, providers: options.providers }));
  const app = buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt, files, audio, uploadLimit: '200mb' });
  const listening = await listen(app);
  return {
    ...listening,
    app,
    registry,
    files,
    projects,
    audio,
    dataDir,
    async close() {
      await listening.close();
      await audio.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
