import type { Rows } from './columns';

/** Rows a table chart shows; the page says how many more there were. */
export const TABLE_ROW_LIMIT = 200;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attributes: every title, label and cell goes through here. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** An HTML table of the first TABLE_ROW_LIMIT rows, numbers right-aligned as a reader compares them. */
export function renderTable(rows: Rows, columns: readonly string[]): string {
  const shown = rows.slice(0, TABLE_ROW_LIMIT);
  const head = columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = shown
    .map((row) => `<tr>${columns.map((c) => `<td${typeof row[c] === 'number' ? ' class="num"' : ''}>${escapeHtml(cellText(row[c]))}</td>`).join('')}</tr>`)
    .join('\n');
  const note = rows.length > shown.length ? `<p class="note">First ${shown.length} of ${rows.length} rows.</p>` : '';
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${note}`;
}

export type PageSection = { title: string; svg: string } | { title: string; tableHtml: string };

export interface DashboardPage {
  title: string;
  rowCount: number;
  truncated: boolean;
  sections: readonly PageSection[];
}

/* No web fonts, scripts or external URLs: the page is served under `default-src 'none'` and must stand alone. */
const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f6f8;color:#1d232b}
header{padding:24px 32px 8px}h1{font-size:1.5rem;margin:0 0 4px}.meta{color:#5b6572;margin:0}
main{display:flex;flex-wrap:wrap;gap:24px;padding:16px 32px 32px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px;max-width:100%;box-sizing:border-box;overflow:auto}
section h2{font-size:1rem;margin:0 0 8px}svg{max-width:100%;height:auto;display:block}
.table-wrap{overflow:auto;max-height:560px}table{border-collapse:collapse;font-size:.85rem}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 10px;text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#fff}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#5b6572;font-size:.85rem}`;

function section(s: PageSection): string {
  // Image charts carry their title inside the SVG (so a PNG on its own has it too); tables get a heading.
  if ('svg' in s) return `<section aria-label="${escapeHtml(s.title)}">${s.svg}</section>`;
  return `<section><h2>${escapeHtml(s.title)}</h2>${s.tableHtml}</section>`;
}

/**
 * The dashboard as one self-contained page: inline SVGs (Vega escapes the text it writes into
 * them) and inline CSS. Everything else that came from the caller or the data is escaped here.
 */
export function renderDashboardHtml(page: DashboardPage): string {
  const rows = `${page.rowCount} row${page.rowCount === 1 ? '' : 's'}`;
  const meta = page.truncated ? `${rows} (the query matched more; only these are charted)` : rows;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(page.title)}</h1><p class="meta">${escapeHtml(meta)}</p></header>
<main>
${page.sections.map(section).join('\n')}
</main></body></html>
`;
}
