import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ExecutionSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Directories searched for the command, in order (the policy's fixed PATH). */
  searchPath: readonly string[];
  signal?: AbortSignal;
}

export interface ExecutionResult {
  executable: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Output beyond maxOutputBytes (both streams together) was discarded. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
  /** SHA-256 of everything the process wrote (kept or not), for the audit log. */
  outputSha256: string;
}

/** Grace between SIGTERM and SIGKILL for a process group that overstays its time. */
const KILL_GRACE_MS = 2_000;

/** The first executable regular file named `command` on the search path; never a relative lookup. */
export async function resolveExecutable(command: string, searchPath: readonly string[]): Promise<string | undefined> {
  for (const dir of searchPath) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, command);
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here: next directory
    }
  }
  return undefined;
}

/**
 * Runs an already-validated command: no shell, an absolute executable, a scrubbed
 * environment (fixed PATH, LANG, the allowed variables and nothing inherited), stdin closed,
 * its own process group (so a timeout or abort kills everything it started: SIGTERM, then
 * SIGKILL after a grace period), output capped.
 */
export async function executeCommand(spec: ExecutionSpec): Promise<ExecutionResult> {
  const executable = await resolveExecutable(spec.command, spec.searchPath);
  if (!executable) throw new CommandNotInstalledError(spec.command, spec.searchPath);
  // Aborted while the executable was looked up: the abort listener below would never fire.
  spec.signal?.throwIfAborted();
  const started = performance.now();
  const child = spawn(executable, spec.args as string[], {
    cwd: spec.cwd,
    env: { PATH: spec.searchPath.join(':'), LANG: 'C.UTF-8', HOME: spec.cwd, ...spec.env },
    shell: false,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const digest = createHash('sha256');
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let keptBytes = 0;
  let truncated = false;
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    digest.update(chunk);
    const room = spec.maxOutputBytes - keptBytes;
    if (room <= 0) {
      truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) truncated = true;
    kept[stream].push(part);
    keptBytes += part.length;
  };
  // When the leader exits, whatever it left running in its group goes too (close waits for
  // every holder of the pipes, so a lingering child would otherwise hold the call open).
  child.once('exit', () => signalGroup(child.pid, 'SIGKILL'));
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = () => {
    signalGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, spec.timeoutMs);
  const onAbort = () => killGroup();
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
    });
    return {
      executable,
      exitCode: code,
      signal,
      stdout: Buffer.concat(kept.stdout).toString('utf8'),
      stderr: Buffer.concat(kept.stderr).toString('utf8'),
      truncated,
      timedOut,
      durationMs: Math.round(performance.now() - started),
      outputSha256: digest.digest('hex'),
    };
  } finally {
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    spec.signal?.removeEventListener('abort', onAbort);
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has already exited
  }
}

export class CommandNotInstalledError extends Error {
  constructor(
    readonly command: string,
    searchPath: readonly string[],
  ) {
    super(`${command} is allowed but not installed on this machine (searched ${searchPath.join(', ')})`);
    this.name = 'CommandNotInstalledError';
  }
}
