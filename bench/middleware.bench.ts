/**
 * What each layer of the control plane's middleware costs (`npm run bench:middleware`, see
 * docs/PERFORMANCE.md). Starts one server per variant (bench/middleware-variant.ts), each in
 * its own process, the variants cumulative; loads each with autocannon (50 connections, full
 * speed) in interleaved rounds and prints the server's CPU µs per request: median and least
 * disturbed round. CPU per request varies less with this VM's noise than req/s does.
 *
 * Knobs: BENCH_ROUNDS (5), BENCH_DURATION_S (3 per round, after 1 s of warm-up).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from './support';

const LEVELS = [
  'bare Express, { ok: true }',
  '+ a /status-sized body (374 bytes)',
  '+ request id, helmet headers, CORS',
  '+ access log (stdout and rotated file)',
  '+ token auth, failure limiter, 8 routes',
  '+ rate limits (in-process store)',
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const VARIANT_TOKEN = randomBytes(32).toString('base64url');
const logDir = mkdtempSync(path.join(os.tmpdir(), 'jarvis-mw-bench-'));
const children = new Set<ChildProcess>();
const cleanup = () => {
  for (const child of children) child.kill();
  rmSync(logDir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function measure(level: number): Promise<number> {
  const port = await freePort();
  const child = fork(path.join(__dirname, 'middleware-variant.ts'), [String(level), String(port)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production', VARIANT_LOG_DIR: logDir, VARIANT_TOKEN },
  });
  children.add(child);
  try {
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`variant ${level} exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const cpu = async () => {
      const used = (await (await fetch(`${url}/cpu`)).json()) as { user: number; system: number };
      return used.user + used.system;
    };
    const load = (duration: number) => autocannon({ url: `${url}/status`, connections: 50, duration, headers: { authorization: `Bearer ${VARIANT_TOKEN}` } });
    await load(1);
    const before = await cpu();
    const result = await load(DURATION_S);
    const used = (await cpu()) - before;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`variant ${level}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return used / result.requests.total;
  } finally {
    child.kill();
    children.delete(child);
  }
}

async function main(): Promise<void> {
  console.log(`middleware bench: node ${process.version}, ${os.cpus().length} CPUs, ${ROUNDS} rounds of ${DURATION_S} s per variant\n`);
  const samples: number[][] = LEVELS.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let level = 0; level < LEVELS.length; level++) samples[level]!.push(await measure(level));
    process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  console.log(`\n${'variant (each adds to the one above)'.padEnd(42)}  median µs/req  min µs/req  rounds`);
  for (let level = 0; level < LEVELS.length; level++) {
    const sorted = [...samples[level]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`${LEVELS[level]!.padEnd(42)}  ${median.toFixed(0).padStart(13)}  ${sorted[0]!.toFixed(0).padStart(10)}  ${samples[level]!.map((x) => x.toFixed(0)).join(' ')}`);
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
