import { z } from 'zod';

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
});
export type DashboardRecord = z.infer<typeof dashboardRecordSchema>;
export type DashboardChart = z.infer<typeof dashboardChartSchema>;

export const DASHBOARD_PAGE_LIMIT = { default: 50, max: 200 } as const;

export interface DashboardCursor {
  createdAt: string;
  id: string;
}

/** Opaque to clients (base64url of `createdAt|id`), so the order key can change without breaking their code. */
export function encodeDashboardCursor(c: DashboardCursor): string {
  return Buffer.from(`${c.createdAt}|${c.id}`, 'utf8').toString('base64url');
}

/** A `before` query parameter: the nextBefore of a previous page; anything else is a 400 naming the field. */
export const dashboardCursorSchema = z.string().transform((value, ctx): DashboardCursor => {
  const [createdAt, id, ...rest] = /^[A-Za-z0-9_-]{1,200}$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8').split('|') : [];
  if (rest.length > 0 || !createdAt || !id || !DASHBOARD_ID.test(id) || !z.iso.datetime().safeParse(createdAt).success) {
    ctx.issues.push({ code: 'custom', input: value, message: 'must be the nextBefore of a previous page' });
    return z.NEVER;
  }
  return { createdAt, id };
});

/** Newest first; dashboards created in the same millisecond by id, so the order is total. */
export function newestFirst(a: DashboardCursor, b: DashboardCursor): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
