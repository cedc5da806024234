import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResvgRenderOptions } from '@resvg/resvg-js';

export type PngFontOptions = NonNullable<ResvgRenderOptions['font']>;

export interface PngFonts {
  font: PngFontOptions;
  /** What PNG text is drawn with, for the log: a family, "system fonts", or none (PNGs then carry no text). */
  description: string;
}

/** Where Debian, Alpine and most Linux images keep fonts; the fonts-dejavu-core package puts DejaVu here. */
export const DEFAULT_FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts'];

/** Families whose metrics suit Vega's text-size estimates (Vega measures text without a canvas as if in a sans-serif). */
const PREFERRED = [
  { family: 'DejaVu Sans', regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' },
  { family: 'Liberation Sans', regular: 'LiberationSans-Regular.ttf', bold: 'LiberationSans-Bold.ttf' },
  { family: 'Noto Sans', regular: 'NotoSans-Regular.ttf', bold: 'NotoSans-Bold.ttf' },
] as const;

const FONT_FILE = /\.(?:ttf|otf|ttc)$/i;
const MAX_DEPTH = 4;

async function fontFiles(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && depth < MAX_DEPTH) found.push(...(await fontFiles(full, depth + 1)));
    else if (entry.isFile() && FONT_FILE.test(entry.name)) found.push(full);
  }
  return found;
}

/**
 * The fonts resvg draws chart text with. resvg's own system-font scan would run on every
 * render and its default family is whichever font it meets first, so we look once and name
 * the family: a preferred sans-serif loaded from its files; else every font in the directories;
 * else none, which still renders (shapes without text) rather than failing: the SVG and the
 * HTML page carry the text regardless.
 */
export async function resolvePngFonts(dirs: readonly string[] = DEFAULT_FONT_DIRS): Promise<PngFonts> {
  const files = (await Promise.all(dirs.map((d) => fontFiles(d)))).flat().sort();
  const byName = new Map(files.map((f) => [path.basename(f), f]));
  for (const choice of PREFERRED) {
    const regular = byName.get(choice.regular);
    if (!regular) continue;
    const bold = byName.get(choice.bold);
    return {
      font: { loadSystemFonts: false, fontFiles: bold ? [regular, bold] : [regular], defaultFontFamily: choice.family, sansSerifFamily: choice.family },
      description: choice.family,
    };
  }
  if (files.length > 0) return { font: { loadSystemFonts: false, fontDirs: [...dirs] }, description: `system fonts (${files.length} files)` };
  return { font: { loadSystemFonts: false, fontFiles: [] }, description: 'none: PNG charts are drawn without text' };
}
