export { createAnalyticsModule, type AnalyticsModuleDeps } from './analytics.module';
export { AnalyticsStore } from './analytics-store';
export { DashboardStore } from './dashboard';
export type { JarvisSource, QueryAnswer } from './query';
