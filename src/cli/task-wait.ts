import { setTimeout as sleep } from 'node:timers/promises';
import type { JarvisClient, TaskView } from './client';
import { RequestError } from './errors';
import type { TaskProgress } from './task-progress';

export type WaitOutcome = { kind: 'ended'; task: TaskView } | { kind: 'interrupted'; task?: TaskView };

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface WaitOptions {
  /** First delay between polls; it grows to `maxPollMs` while nothing changes. */
  pollMs?: number;
  maxPollMs?: number;
  /** Consecutive failed polls (network, 429, 502-504) tolerated before giving up. */
  maxFailures?: number;
}

/** Failures a later poll may not see: the network, the rate limit, a restarting server. */
function transient(err: unknown): boolean {
  if (!(err instanceof RequestError) || err.code === 'INTERRUPTED') return false;
  return err.status === undefined || err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504;
}

/**
 * Polls the task route until the task ends or `signal` fires (Ctrl-C). The task route rather
 * than the job route: it serves the full result and events, where the job route cuts large
 * answers for ChatGPT.
 */
export async function waitForTask(
  client: JarvisClient,
  agent: string,
  id: string,
  progress: TaskProgress,
  signal: AbortSignal,
  options: WaitOptions = {},
): Promise<WaitOutcome> {
  const { pollMs = 250, maxPollMs = 2_000, maxFailures = 5 } = options;
  let delay = pollMs;
  let failures = 0;
  let last: TaskView | undefined;
  let seen = '';
  for (;;) {
    if (signal.aborted) return { kind: 'interrupted', task: last };
    try {
      last = await client.getTask(agent, id, signal);
      failures = 0;
    } catch (err) {
      if (signal.aborted) return { kind: 'interrupted', task: last };
      if (!transient(err) || ++failures > maxFailures) {
        const message = err instanceof Error ? err.message : String(err);
        throw new RequestError(`${message}\nStopped following task ${id}; it may still be running: \`jarvis task get ${id} --wait\` follows it again.`, (err as RequestError).status, (err as RequestError).code);
      }
      progress.note(`poll failed (${(err as Error).message}); retrying`);
      delay = Math.min(maxPollMs, delay * 2);
      if (!(await pause(delay, signal))) return { kind: 'interrupted', task: last };
      continue;
    }
    progress.update(last);
    if (TERMINAL_STATUSES.has(last.status)) return { kind: 'ended', task: last };
    // Poll quickly while the task moves, slower while it does not.
    const state = `${last.status}/${last.progress ?? ''}/${last.events.length}`;
    delay = state === seen ? Math.min(maxPollMs, Math.round(delay * 1.5)) : pollMs;
    seen = state;
    if (!(await pause(delay, signal))) return { kind: 'interrupted', task: last };
  }
}

/** Waits `ms`; false when `signal` cut it short. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
