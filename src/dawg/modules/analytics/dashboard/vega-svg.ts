import { logger, None, parse, View, type Loader } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

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
