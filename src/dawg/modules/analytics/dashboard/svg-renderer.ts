import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { AppError } from '../../../../common/errors';
import { WorkerRequests } from '../../../../common/ts-worker';
import type { SvgRenderReply, SvgRenderRequest } from './svg-render-worker';

/**
 * Renders charts to SVG on a worker thread, one at a time, so a large dashboard (seconds of
 * Vega work for 10,000 rows) never holds the AI DAWG's event loop, which answers /health and
 * every other module. The worker starts on first use and stops after `idleMs` without work. A
 * caller that goes away ends its render by ending the worker, unless other renders wait on it
 * (then the abandoned one finishes and its answer is dropped); the next render starts another.
 */
export class SvgRenderer {
  private readonly requests: WorkerRequests<SvgRenderRequest, SvgRenderReply>;

  constructor(idleMs = 60_000) {
    this.requests = new WorkerRequests<SvgRenderRequest, SvgRenderReply>(path.join(__dirname, 'svg-render-worker.ts'), {
      failed: (answer) => new AppError(500, 'CHART_RENDER_FAILED', `The chart could not be drawn: ${answer.message}`),
      died: (reason) => new AppError(500, 'CHART_RENDER_FAILED', `The chart renderer stopped (${reason}); nothing was stored`),
      stopped: () => new AppError(503, 'CHART_RENDERER_STOPPED', 'The chart renderer was stopped; try again'),
      idleMs,
    });
  }

  async render(spec: TopLevelSpec, signal?: AbortSignal): Promise<string> {
    return (await this.requests.send({ spec }, { signal, endOnAbort: 'when-alone' })).svg;
  }

  close(): Promise<void> {
    return this.requests.stop();
  }
}
