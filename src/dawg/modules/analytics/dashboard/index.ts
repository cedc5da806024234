export {
  createDashboardAction,
  DASHBOARD_MAX_ROWS,
  dashboardFilePath,
  summarizeDashboard,
  type DashboardActionDeps,
  type DashboardQueryRunner,
  type DashboardSummary,
} from './dashboard.action';
export { DashboardStore, type DashboardDraft, type DashboardPage, type DashboardStoreOptions, type RenderedChart } from './dashboard-store';
export {
  DASHBOARD_ID,
  DASHBOARD_PAGE_LIMIT,
  dashboardCursorSchema,
  dashboardFileNameSchema,
  dashboardIdSchema,
  type DashboardChart,
  type DashboardCursor,
  type DashboardRecord,
} from './dashboard-record';
export { DEFAULT_FONT_DIRS, resolvePngFonts, type PngFonts } from './png-fonts';
