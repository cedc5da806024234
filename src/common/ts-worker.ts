import { Worker } from 'node:worker_threads';

/**
 * A worker thread whose entry is a TypeScript file, run without a build step: the worker
 * registers tsx's require hook itself and then loads the entry, with no inherited flags. (A .ts
 * entry given to Worker directly is refused before the hooks of an inherited --import are
 * ready, under `npm start`, the tsx CLI and jest alike.) Unref'd: it never keeps the process up.
 */
export function startTsWorker(filename: string): Worker {
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(filename)});`;
  const worker = new Worker(boot, { eval: true, execArgv: [] });
  worker.unref();
  return worker;
}
