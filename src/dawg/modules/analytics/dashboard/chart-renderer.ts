import { renderAsync } from '@resvg/resvg-js';
import type { PngFontOptions } from './png-fonts';

/** PNGs are drawn at twice the SVG's size, so they stay sharp on high-density screens and in chat clients that scale them. */
export const PNG_SCALE = 2;

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
