import { parentPort } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './vega-svg';

/*
 * Worker thread of SvgRenderer: Vega-Lite → SVG for one chart at a time. Vega builds the whole
 * scene graph in JavaScript (seconds for 10,000 rows), which here holds this thread, not the
 * AI DAWG's event loop.
 */

export interface SvgRenderRequest {
  id: number;
  spec: TopLevelSpec;
}

export type SvgRenderReply = { id: number; ok: true; svg: string } | { id: number; ok: false; message: string };

parentPort?.on('message', (request: SvgRenderRequest) => {
  renderSvg(request.spec).then(
    (svg) => parentPort!.postMessage({ id: request.id, ok: true, svg } satisfies SvgRenderReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies SvgRenderReply),
  );
});
