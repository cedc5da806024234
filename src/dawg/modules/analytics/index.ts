export { createAnalyticsModule, type AnalyticsModuleDeps } from './analytics.module';
export { AnalyticsStore } from './analytics-store';
export { DashboardStore } from './dashboard';
export { SvgRenderer } from './dashboard/svg-renderer';
export { AnalyticsCompute } from './compute';
export type { JarvisSource, QueryAnswer } from './query';
