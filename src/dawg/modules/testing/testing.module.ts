import { z } from 'zod';
import { defineAction, defineModule, type ModuleDefinition } from '../../sdk';
import { CHECK_NAMES, runChecks } from './system-checks';
import { audioCheckAction } from './audio-check.action';
import type { AudioWorkerPool } from '../../audio/worker';
import type { FileStore } from '../../storage/file-store';

export interface TestingModuleDeps {
  /** Names of the modules registered on this DAWG, read at call time. */
  listModules: () => string[];
  dataDir: string;
  startedAt: number;
  /** With both, audio-check measures stored files (absent: that action is not offered). */
  files?: Pick<FileStore, 'meta'>;
  audio?: Pick<AudioWorkerPool, 'qualityFile'>;
}

const MiB = 2 ** 20;
/** How long one memory reading serves health checks. */
const MEMORY_SAMPLE_MS = 1_000;

/**
 * process.memoryUsage() reads /proc and walks every V8 heap space: ~100 µs here, a fifth of a
 * health-check's cost when monitors poll it hundreds of times a second. One reading serves
 * the calls of the next second (the answer says when it was taken).
 */
function memorySampler(): () => { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; sampledAt: string } {
  let sample: { at: number; value: ReturnType<ReturnType<typeof memorySampler>> } | undefined;
  return () => {
    const at = Date.now();
    if (!sample || at - sample.at >= MEMORY_SAMPLE_MS || at < sample.at) {
      const memory = process.memoryUsage();
      sample = {
        at,
        value: {
          rssMiB: +(memory.rss / MiB).toFixed(1),
          heapUsedMiB: +(memory.heapUsed / MiB).toFixed(1),
          heapTotalMiB: +(memory.heapTotal / MiB).toFixed(1),
          sampledAt: new Date(at).toISOString(),
        },
      };
    }
    return sample.value;
  };
}

/** System validation of the DAWG itself: what runs, how it is doing, and whether its dependencies are in place. */
export function createTestingModule(deps: TestingModuleDeps): ModuleDefinition {
  const memory = memorySampler();
  return defineModule({
    name: 'testing',
    description: 'System validation of the AI DAWG: health, resource use and dependency checks, and measured quality checks of audio files',
    version: '1.0.0',
    actions: {
      'health-check': defineAction({
        description: 'Reports DAWG uptime, memory use (sampled at most once a second) and the registered modules',
        params: z.object({}).strict(),
        async handler() {
          return {
            status: 'ok' as const,
            uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
            memory: memory(),
            modules: deps.listModules(),
            node: process.version,
            pid: process.pid,
          };
        },
      }),
      ...(deps.files && deps.audio ? { 'audio-check': { ...audioCheckAction({ files: deps.files, audio: deps.audio }), timeoutMs: 120_000 } } : {}),
      'validate-system': defineAction({
        description: `Runs the DAWG's self-checks (${CHECK_NAMES.join(', ')}); all of them unless some are named`,
        params: z
          .object({ checks: z.array(z.enum(CHECK_NAMES)).min(1).optional() })
          .strict(),
        async handler(params, ctx) {
          const names = params.checks ? [...new Set(params.checks)] : [...CHECK_NAMES];
          const results = await runChecks(names, { dataDir: deps.dataDir, signal: ctx.signal });
          return { ok: results.every((r) => r.ok), checks: results };
        },
      }),
    },
  });
}
