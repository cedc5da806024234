import { defineModule, type ModuleDefinition } from '../../sdk';
import { analyticsQueryParams } from './analytics-schemas';
import type { AnalyticsStore } from './analytics-store';
import { createDashboardAction, type DashboardStore } from './dashboard';
import { createDropDatasetAction, createListDatasetsAction, createLoadDatasetAction } from './datasets';
import { createDescribeAction } from './describe';
import type { SvgRenderer } from './dashboard/svg-renderer';
import type { AnalyticsCompute } from './compute';
import { createMlModelAction } from './ml';
import { createQueryAction, type JarvisSource } from './query';
import { createGenerateDatasetAction } from './synthetic';

export interface AnalyticsModuleDeps {
  store: AnalyticsStore;
  dashboards: DashboardStore;
  /** Answers source "jarvis" (the control plane's data); absent: that source is a 501. */
  jarvisSource?: JarvisSource;
  /** Longest a query may run (default 10 s). */
  queryTimeoutMs?: number;
  /** The worker threads models are fitted, datasets generated and charts drawn on (default: each action its own, never closed). */
  compute?: AnalyticsCompute;
  svgRenderer?: SvgRenderer;
}

/**
 * Analytics (blueprint §2.1.2): read-only SQL over the DuckDB store and the control plane's
 * data, dataset loading and exploratory analysis, ML models (forecast, classify, cluster,
 * anomaly, predict) stored for reuse, rendered dashboards, and the seeded synthetic datasets.
 */
export function createAnalyticsModule(deps: AnalyticsModuleDeps): ModuleDefinition {
  const query = createQueryAction({
    store: deps.store,
    ...(deps.jarvisSource ? { jarvisSource: deps.jarvisSource } : {}),
    ...(deps.queryTimeoutMs ? { timeoutMs: deps.queryTimeoutMs } : {}),
  });
  return defineModule({
    name: 'analytics',
    description: 'Read-only SQL, datasets, exploratory analysis, ML models and dashboards over the DuckDB analytics store',
    version: '1.0.0',
    actions: {
      query,
      'load-dataset': createLoadDatasetAction(deps.store),
      'list-datasets': createListDatasetsAction(deps.store),
      'drop-dataset': createDropDatasetAction(deps.store),
      describe: createDescribeAction(deps.store),
      'ml-model': createMlModelAction(deps.store, deps.compute),
      'generate-dataset': createGenerateDatasetAction(deps.store, deps.compute),
      dashboard: createDashboardAction({
        dashboards: deps.dashboards,
        ...(deps.svgRenderer ? { svgRenderer: deps.svgRenderer } : {}),
        // The same read-only query path (and limits) as analytics.query, as the same caller
        // (source "jarvis" needs an admin actor).
        runQuery: (q, ctx) => query.handler(analyticsQueryParams.parse({ sql: q.sql, source: q.source, maxRows: q.maxRows }), ctx),
      }),
    },
  });
}
