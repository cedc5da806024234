import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Db } from '../../src/common/db';
import { InvalidError, UnavailableError } from '../../src/common/errors';
import { BaseAgent, capability } from '../../src/control-plane/agents';

/** What the probe agent saw, for assertions: order of starts and the peak of parallel runs. */
export class ProbeLog {
  started: string[] = [];
  running = 0;
  peak = 0;
  peakByTag = new Map<string, number>();
  private byTag = new Map<string, number>();
  flakyCalls = new Map<string, number[]>();

  enter(label: string, tag = 'all'): void {
    this.started.push(label);
    this.running += 1;
    this.peak = Math.max(this.peak, this.running);
    const n = (this.byTag.get(tag) ?? 0) + 1;
    this.byTag.set(tag, n);
    this.peakByTag.set(tag, Math.max(this.peakByTag.get(tag) ?? 0, n));
  }

  leave(tag = 'all'): void {
    this.running -= 1;
    this.byTag.set(tag, (this.byTag.get(tag) ?? 1) - 1);
  }
}

/**
 * A test agent whose capabilities do controllable things (sleep, fail, record a run in the
 * database), so the task system's guarantees can be observed. `name` lets tests register two.
 */
export function createProbeAgent(log: ProbeLog, options: { name?: string; db?: Db; timeoutMs?: number } = {}): BaseAgent {
  const name = options.name ?? 'Probe';
  return new BaseAgent(name, 'Test agent', [
    capability({
      name: 'noop',
      description: 'returns its label',
      requiredModules: [],
      payload: z.object({ label: z.string().default('') }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p) {
        log.enter(p.label, name);
        log.leave(name);
        return { label: p.label };
      },
    }),
    capability({
      name: 'sleep',
      description: 'waits, honouring the signal',
      requiredModules: [],
      payload: z.object({ ms: z.number().int().min(0).max(60_000), label: z.string().default(''), resumable: z.boolean().optional() }).strict(),
      timeoutMs: options.timeoutMs ?? 10_000,
      resumable: true,
      async run(p, ctx) {
        log.enter(p.label, name);
        try {
          ctx.progress(50, 'half way');
          await sleep(p.ms, undefined, { signal: ctx.signal });
          return { slept: p.ms, label: p.label };
        } finally {
          log.leave(name);
        }
      },
    }),
    capability({
      name: 'sleep-once',
      description: 'like sleep, but not safe to repeat after a crash',
      requiredModules: [],
      payload: z.object({ ms: z.number().int().min(0).max(60_000) }).strict(),
      timeoutMs: 30_000,
      resumable: false,
      async run(p, ctx) {
        await sleep(p.ms, undefined, { signal: ctx.signal });
        return { slept: p.ms };
      },
    }),
    capability({
      name: 'ignore-signal',
      description: 'waits without looking at the signal',
      requiredModules: [],
      payload: z.object({ ms: z.number().int() }).strict(),
      timeoutMs: options.timeoutMs ?? 10_000,
      resumable: true,
      async run(p) {
        await sleep(p.ms);
        return { slept: p.ms };
      },
    }),
    capability({
      name: 'flaky',
      description: 'fails transiently the first `failures` runs of `key`',
      requiredModules: [],
      payload: z.object({ key: z.string(), failures: z.number().int().min(0) }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p) {
        const calls = log.flakyCalls.get(p.key) ?? [];
        calls.push(Date.now());
        log.flakyCalls.set(p.key, calls);
        if (calls.length <= p.failures) throw new UnavailableError('DAWG_UNAVAILABLE', `flaky failure ${calls.length}`);
        return { calls: calls.length };
      },
    }),
    capability({
      name: 'fail',
      description: 'fails permanently: invalid, or a 503 saying the server is not set up for it (`unavailable`: its code)',
      requiredModules: [],
      payload: z.object({ key: z.string().default('fail'), unavailable: z.string().optional() }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p) {
        const calls = log.flakyCalls.get(p.key) ?? [];
        calls.push(Date.now());
        log.flakyCalls.set(p.key, calls);
        if (p.unavailable) throw new UnavailableError(p.unavailable, 'the probe is not set up here');
        throw new InvalidError('the probe refuses', { field: 'key' });
      },
    }),
    capability({
      name: 'echo',
      description: 'returns what it got, for workflow hand-over',
      requiredModules: [],
      payload: z.object({ value: z.unknown(), label: z.string().default('') }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p) {
        log.enter(p.label, name);
        log.leave(name);
        return { value: p.value };
      },
    }),
    capability({
      name: 'bad-result',
      description: 'returns something JSON cannot carry',
      requiredModules: [],
      payload: z.object({}).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run() {
        return { big: BigInt(1) };
      },
    }),
    capability({
      name: 'record',
      description: 'inserts one row per run into probe_runs (exactly-once checks)',
      requiredModules: [],
      payload: z.object({ n: z.number().int(), ms: z.number().int().min(0).default(0) }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p, ctx) {
        if (!options.db) throw new Error('probe agent built without a db');
        if (p.ms) await sleep(p.ms, undefined, { signal: ctx.signal });
        await options.db.query('INSERT INTO probe_runs (task_id, n, pid) VALUES ($1, $2, $3)', [ctx.taskId, p.n, process.pid]);
        return { n: p.n };
      },
    }),
    capability({
      name: 'dawg',
      description: 'calls module.action on the DAWG',
      requiredModules: ['testing'],
      payload: z.object({ module: z.string(), action: z.string() }).strict(),
      timeoutMs: 10_000,
      resumable: true,
      async run(p, ctx) {
        return { result: await ctx.call(p.module, p.action, {}) };
      },
    }),
  ]);
}
