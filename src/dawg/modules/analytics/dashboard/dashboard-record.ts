import { z } from 'zod';
import { cursorSchema, type PageCursor } from '../../../storage/file-page';

/** A dashboard's id: `dsh_` and a UUID, so it is never a path and never guessable from another. */
export const DASHBOARD_ID = /^dsh_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const dashboardIdSchema = z.string().regex(DASHBOARD_ID, 'must be a dashboard id (dsh_…)');

/** The files a dashboard may have: its page and one SVG and PNG per image chart (at most 12 charts). */
export const DASHBOARD_FILE_NAME = /^(?:index\.html|chart-(?:\d|1[01])\.(?:svg|png))$/;
export const dashboardFileNameSchema = z.string().regex(DASHBOARD_FILE_NAME, 'must be index.html or chart-<n>.svg / chart-<n>.png');
export const DASHBOARD_PAGE_FILE = 'index.html';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function contentTypeOf(name: string): string {
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))];
  if (!type) throw new Error(`dashboard file without a known type: ${name}`);
  return type;
}

export const dashboardChartSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  type: z.enum(['line', 'bar', 'area', 'scatter', 'pie', 'histogram', 'table']),
  title: z.string(),
  /** File names inside the dashboard's folder; null for tables, which are only on the page. */
  svg: z.string().regex(DASHBOARD_FILE_NAME).nullable(),
  png: z.string().regex(DASHBOARD_FILE_NAME).nullable(),
});

/** dashboard.json: what a stored dashboard is and which files it has. */
export const dashboardRecordSchema = z.strictObject({
  id: z.string().regex(DASHBOARD_ID),
  title: z.string(),
  createdAt: z.iso.datetime(),
  charts: z.array(dashboardChartSchema),
  rowCount: z.number().int().nonnegative(),
  truncated: z.boolean(),
  /** Who rendered it (API key id or `agent:<name>`); absent on older dashboards and direct DAWG calls without a caller. */
  createdBy: z.string().optional(),
});
export type DashboardRecord = z.infer<typeof dashboardRecordSchema>;
export type DashboardChart = z.infer<typeof dashboardChartSchema>;

export const DASHBOARD_PAGE_LIMIT = { default: 50, max: 200 } as const;

export type DashboardCursor = PageCursor;

/** A `before` query parameter: the nextBefore of a previous page (the stored files' cursor format). */
export const dashboardCursorSchema = cursorSchema(DASHBOARD_ID);
