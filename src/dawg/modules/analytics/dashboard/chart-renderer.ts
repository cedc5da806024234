import { renderAsync } from '@resvg/resvg-js';
import { logger, None, parse, View, type Loader } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { PngFontOptions } from './png-fonts';

/** PNGs are drawn at twice the SVG's size, so they stay sharp on high-density screens and in chat clients that scale them. */
export const PNG_SCALE = 2;

function refuse(): Promise<never> {
  return Promise.reject(new Error('dashboard charts load no data or images: their data is inline'));
}

/** Vega's loader fetches URLs and reads files; our specs never name one, and this makes sure nothing can. */
const NO_LOADER = { load: refuse, sanitize: refuse, http: refuse, file: refuse } as unknown as Loader;

/**
 * Vega-Lite → Vega → SVG, headless: the `none` renderer builds the scene graph without a DOM
 * or canvas, and `toSVG` serialises it (text widths are estimated when node-canvas is absent,
 * which is the case here by design).
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Silent: Vega-Lite's warnings (a scale it adjusted, say) are about our own specs, not the caller's data.
  const { spec: vegaSpec } = compile(spec, { logger: logger(None) });
  const view = new View(parse(vegaSpec), { renderer: 'none', loader: NO_LOADER, logLevel: None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * SVG → PNG with resvg on libuv's thread pool, so a large chart does not hold up the event loop.
 * resvg takes over the signal it is given (it sets `onabort`, and refuses a signal it has seen
 * before), so each render gets its own signal that follows the caller's.
 */
export async function renderPng(svg: string, font: PngFontOptions, signal?: AbortSignal): Promise<Buffer> {
  const own = signal ? AbortSignal.any([signal]) : undefined;
  const image = await renderAsync(svg, { font, fitTo: { mode: 'zoom', value: PNG_SCALE }, background: 'white', logLevel: 'off' }, own);
  return image.asPng();
}
