import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { AppError } from '../../../../common/errors';
import { startTsWorker } from '../../../../common/ts-worker';
import type { SvgRenderReply } from './svg-render-worker';

/**
 * Renders charts to SVG on a worker thread, one at a time, so a large dashboard (seconds of
 * Vega work for 10,000 rows) never holds the AI DAWG's event loop, which answers /health and
 * every other module. The worker starts on first use and stops after `idleMs` without work; a
 * caller that goes away ends its render by ending the worker (the next render starts another).
 */
export class SvgRenderer {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (svg: string) => void; reject: (err: unknown) => void }>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs = 60_000) {}

  render(spec: TopLevelSpec, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    clearTimeout(this.idleTimer);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const settle = () => {
        signal?.removeEventListener('abort', aborted);
        this.waiting.delete(id);
        if (this.waiting.size === 0) this.idleTimer = setTimeout(() => void this.close(), this.idleMs).unref();
      };
      const aborted = () => {
        settle();
        reject(signal!.reason);
        // Vega cannot be interrupted: ending the render means ending the worker, unless other
        // renders wait on it (then the abandoned one finishes and its answer is dropped).
        if (this.waiting.size === 0) void this.stop();
      };
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiting.set(id, {
        resolve: (svg) => {
          settle();
          resolve(svg);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      worker.postMessage({ id, spec });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.stop();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startTsWorker(path.join(__dirname, 'svg-render-worker.ts'));
    worker.on('message', (reply: SvgRenderReply) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      if (reply.ok) waiting.resolve(reply.svg);
      else waiting.reject(new AppError(500, 'CHART_RENDER_FAILED', `The chart could not be drawn: ${reply.message}`));
    });
    const gone = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of [...this.waiting.values()]) waiting.reject(new AppError(500, 'CHART_RENDER_FAILED', `The chart renderer stopped (${reason}); nothing was stored`));
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    // Nothing may be left waiting on a worker that is going away.
    for (const waiting of [...this.waiting.values()]) waiting.reject(new AppError(503, 'CHART_RENDERER_STOPPED', 'The chart renderer was stopped; try again'));
    await worker?.terminate();
  }
}
