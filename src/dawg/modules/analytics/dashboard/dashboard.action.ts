import { fieldError } from '../../../../common/validation';
import { defineAction, type ActionContext } from '../../../sdk';
import { analyticsDashboardParams } from '../analytics-schemas';
import { planChart, type ChartPlan, type DashboardParams } from './chart-plan';
import { renderPng } from './chart-renderer';
import { SvgRenderer } from './svg-renderer';
import { profileColumns, type Rows } from './columns';
import { renderDashboardHtml, renderTable, type PageSection } from './dashboard-html';
import { DASHBOARD_PAGE_FILE, type DashboardRecord } from './dashboard-record';
import type { DashboardStore, RenderedChart } from './dashboard-store';
import { resolvePngFonts, type PngFonts } from './png-fonts';
import { chartSpec } from './vega-spec';

/** Rows a query may bring back for a dashboard; the answer's `truncated` says when it matched more. */
export const DASHBOARD_MAX_ROWS = 10_000;

/** Runs the dashboard's query as the action's caller (its signal, request id and actor). */
export type DashboardQueryRunner = (
  q: { sql: string; source: string; maxRows: number },
  ctx: ActionContext,
) => Promise<{ rows: Record<string, unknown>[]; truncated: boolean }>;

export interface DashboardActionDeps {
  dashboards: DashboardStore;
  runQuery: DashboardQueryRunner;
  /** Fonts for PNG text; by default looked up once, on first use, in the usual font folders. */
  fonts?: () => Promise<PngFonts>;
  /** Draws the SVGs off the event loop; by default one worker thread per action, started on first use. */
  svgRenderer?: SvgRenderer;
}

/** What the action answers, and what the dashboard routes describe: paths are the DAWG's routes. */
export interface DashboardSummary {
  dashboardId: string;
  title: string;
  createdAt: string;
  rowCount: number;
  truncated: boolean;
  charts: Array<{ index: number; type: string; title: string; svgPath: string | null; pngPath: string | null }>;
  htmlPath: string;
  /** Who it was rendered for (API key id or agent:<name>), when known. */
  createdBy?: string;
}

export function dashboardFilePath(id: string, name: string): string {
  return `/api/v1/dashboards/${id}/files/${name}`;
}

export function summarizeDashboard(record: DashboardRecord): DashboardSummary {
  const file = (name: string | null) => (name === null ? null : dashboardFilePath(record.id, name));
  return {
    dashboardId: record.id,
    title: record.title,
    createdAt: record.createdAt,
    rowCount: record.rowCount,
    truncated: record.truncated,
    charts: record.charts.map((c) => ({ index: c.index, type: c.type, title: c.title, svgPath: file(c.svg), pngPath: file(c.png) })),
    htmlPath: dashboardFilePath(record.id, DASHBOARD_PAGE_FILE),
    ...(record.createdBy ? { createdBy: record.createdBy } : {}),
  };
}

async function loadRows(params: DashboardParams, runQuery: DashboardQueryRunner, ctx: ActionContext): Promise<{ rows: Rows; truncated: boolean }> {
  if (params.data) return { rows: params.data, truncated: false };
  const query = params.query!;
  const result = await runQuery({ sql: query.sql, source: query.source, maxRows: DASHBOARD_MAX_ROWS }, ctx);
  if (result.rows.length === 0) throw fieldError('params.query.sql', 'returned no rows: there is nothing to chart');
  return result;
}

interface Rendered {
  chart: RenderedChart;
  section: PageSection;
}

async function renderChart(plan: ChartPlan, rows: Rows, fonts: PngFonts, svgRenderer: SvgRenderer, signal: AbortSignal): Promise<Rendered> {
  if (plan.kind === 'table') {
    return { chart: { type: plan.type, title: plan.title }, section: { title: plan.title, tableHtml: renderTable(rows, plan.columns) } };
  }
  const svg = await svgRenderer.render(chartSpec(plan, rows), signal);
  signal.throwIfAborted();
  const png = await renderPng(svg, fonts.font, signal);
  return { chart: { type: plan.type, title: plan.title, svg, png }, section: { title: plan.title, svg } };
}

/**
 * `analytics.dashboard`: charts over inline rows or a query's result, rendered to SVG, PNG and
 * one self-contained HTML page, stored on the DAWG and served by its dashboard routes. Every
 * chart is checked against the data before any is drawn, and nothing is stored unless all
 * of it rendered.
 */
export function createDashboardAction(deps: DashboardActionDeps) {
  let fonts: Promise<PngFonts> | undefined;
  const svgRenderer = deps.svgRenderer ?? new SvgRenderer();
  const loadFonts = () => {
    fonts ??= (deps.fonts ?? (() => resolvePngFonts()))();
    return fonts;
  };

  return defineAction({
    description:
      'Render a dashboard (line, bar, area, scatter, pie, histogram charts and tables) from rows or a read-only query; stores an HTML page with SVG and PNG images and answers their paths.',
    params: analyticsDashboardParams,
    async handler(params, ctx: ActionContext): Promise<DashboardSummary> {
      const { rows, truncated } = await loadRows(params, deps.runQuery, ctx);
      const columns = profileColumns(rows);
      const plans = params.charts.map((chart, i) => planChart(chart, i, rows, columns));
      const font = await loadFonts();
      const rendered: Rendered[] = [];
      for (const plan of plans) {
        ctx.signal.throwIfAborted();
        rendered.push(await renderChart(plan, rows, font, svgRenderer, ctx.signal));
      }
      ctx.signal.throwIfAborted();
      const html = renderDashboardHtml({ title: params.title, rowCount: rows.length, truncated, sections: rendered.map((r) => r.section) });
      const record = await deps.dashboards.save({ title: params.title, rowCount: rows.length, truncated, html, charts: rendered.map((r) => r.chart), createdBy: ctx.actor });
      ctx.logger.info('dashboard stored', { dashboardId: record.id, charts: record.charts.length, rows: rows.length, pngFonts: font.description });
      return summarizeDashboard(record);
    },
  });
}
