import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomToken } from './common/secrets';

/**
 * `npm start`: runs the AI DAWG and the control plane as two child processes. Loads ./.env
 * when present, mints a per-launch service token when none is configured (only these two
 * processes need to know it), forwards SIGINT/SIGTERM, and stops both if either dies.
 */
function main(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.AI_DAWG_SERVICE_TOKEN ||= randomToken(32);
  env.AI_DAWG_DATA_DIR ||= path.join(env.JARVIS_DATA_DIR || './data', 'dawg');
  // Both processes write their log files side by side (set it empty for stdout only).
  if (env.JARVIS_LOG_DIR === undefined) env.JARVIS_LOG_DIR = path.join(env.JARVIS_DATA_DIR || './data', 'logs');
  if (!env.AI_DAWG_BACKEND_URL && env.AI_DAWG_PORT) env.AI_DAWG_BACKEND_URL = `http://127.0.0.1:${env.AI_DAWG_PORT}`;

  // Re-use this process's loader flags (tsx) so the children run TypeScript the same way.
  const run = (entry: string): ChildProcess =>
    spawn(process.execPath, [...process.execArgv, path.join(__dirname, entry)], { env, stdio: 'inherit' });

  const children = new Map<string, ChildProcess>([
    ['ai-dawg', run('dawg/main.ts')],
    ['control-plane', run('control-plane/main.ts')],
  ]);
  let stopping = false;
  let exitCode = 0;

  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };

  for (const [name, child] of children) {
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping) {
        process.stderr.write(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the other service\n`);
        exitCode = 1;
        stopAll('SIGTERM');
      } else if (code) {
        exitCode ||= code;
      }
      if (children.size === 0) process.exit(exitCode);
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => stopAll(signal));
  }
}

main();
