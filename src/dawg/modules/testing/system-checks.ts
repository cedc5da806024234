import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export const CHECK_NAMES = ['node-version', 'data-dir', 'dependencies', 'event-loop', 'heap'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** Runtime packages the DAWG cannot serve without. */
const REQUIRED_PACKAGES = ['express', 'helmet', 'zod', 'winston'];
const MIN_NODE_MAJOR = 20;

type Check = (ctx: { dataDir: string; signal: AbortSignal }) => Promise<{ ok: boolean; detail: string }>;

const checks: Record<CheckName, Check> = {
  async 'node-version'() {
    const major = Number(process.versions.node.split('.')[0]);
    return { ok: major >= MIN_NODE_MAJOR, detail: `Node.js ${process.versions.node} (needs >= ${MIN_NODE_MAJOR})` };
  },
  async 'data-dir'({ dataDir }) {
    const probe = path.join(dataDir, `.probe-${randomUUID()}`);
    try {
      await mkdir(dataDir, { recursive: true });
      await writeFile(probe, 'ok');
      const back = await readFile(probe, 'utf8');
      return { ok: back === 'ok', detail: `${path.resolve(dataDir)} is writable` };
    } catch (err) {
      return { ok: false, detail: `${path.resolve(dataDir)}: ${(err as Error).message}` };
    } finally {
      // force ignores only ENOENT; a data dir that is not a directory makes rm throw too.
      await rm(probe, { force: true }).catch(() => undefined);
    }
  },
  async dependencies() {
    const missing = REQUIRED_PACKAGES.filter((name) => {
      try {
        require.resolve(name);
        return false;
      } catch {
        return true;
      }
    });
    return missing.length === 0
      ? { ok: true, detail: `resolved ${REQUIRED_PACKAGES.join(', ')}` }
      : { ok: false, detail: `missing packages: ${missing.join(', ')}` };
  },
  async 'event-loop'({ signal }) {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 100);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    histogram.disable();
    const p99Ms = histogram.percentile(99) / 1e6;
    return { ok: p99Ms < 200, detail: `event loop delay p99 ${p99Ms.toFixed(1)} ms over 100 ms (limit 200 ms)` };
  },
  async heap() {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    const ratio = used / limit;
    return { ok: ratio < 0.9, detail: `heap ${(ratio * 100).toFixed(1)} % of its ${Math.round(limit / 2 ** 20)} MiB limit` };
  },
};

export async function runChecks(names: readonly CheckName[], ctx: { dataDir: string; signal: AbortSignal }): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const name of names) {
    const started = performance.now();
    const { ok, detail } = await checks[name](ctx);
    results.push({ name, ok, detail, durationMs: Math.round(performance.now() - started) });
  }
  return results;
}
