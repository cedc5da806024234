import path from 'node:path';
import { ForbiddenError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ControlPlaneClient } from '../control-plane/types';
import type { ModuleRegistry } from '../sdk';
import { AnalyticsStore, createAnalyticsModule, DashboardStore, AnalyticsCompute, SvgRenderer, type JarvisSource } from './analytics';
import { createAutomationModule } from './automation';
import { createEngagementModule } from './engagement';
import { createMarketingModule, type MessageChannel } from './marketing';

/** Source "jarvis" answered by the control plane (its /internal/v1/analytics/query), as the action's caller. */
export function jarvisSourceThrough(controlPlane: Pick<ControlPlaneClient, 'analyticsQuery'>): JarvisSource {
  return async (q) => {
    if (!q.actor) throw new ForbiddenError('Source "jarvis" needs to know who asks (an admin API key): the call carried no actor', { field: 'params.source' });
    return controlPlane.analyticsQuery({ sql: q.sql, params: q.params, maxRows: q.maxRows, timeoutMs: q.timeoutMs }, { actor: q.actor, requestId: q.requestId, signal: q.signal });
  };
}

export interface DataModulesOptions {
  /** The DAWG's data directory: the DuckDB file, loadable data files and dashboards live under it. */
  dataDir: string;
  /** ':memory:' (tests) or undefined for `<dataDir>/analytics/analytics.duckdb`. */
  databaseFile?: string;
  registry: ModuleRegistry;
  logger: Logger;
  jarvisSource?: JarvisSource;
  /** The clock of marketing and engagement (tests pass a fixed one). */
  now?: () => Date;
  /** Marketing channels besides the built-in outbox (e.g. "email" when SMTP_URL is set). */
  channels?: Record<string, MessageChannel>;
}

export interface DataModules {
  store: AnalyticsStore;
  dashboards: DashboardStore;
  close(): void;
}

/**
 * Opens the analytics store and registers the modules built on it: analytics, engagement,
 * marketing and automation (whose workflow steps run the others through the registry). One
 * composition for the DAWG's main and for tests.
 */
export async function registerDataModules(options: DataModulesOptions): Promise<DataModules> {
  const root = path.join(options.dataDir, 'analytics');
  const store = await AnalyticsStore.open({ file: options.databaseFile ?? path.join(root, 'analytics.duckdb'), filesDir: path.join(root, 'files') });
  const dashboards = new DashboardStore({ dataDir: options.dataDir });
  await dashboards.init();
  const { registry } = options;
  const clock = options.now ? { now: options.now } : {};
  // Worker threads for model fitting, dataset generation and chart drawing: started on first use, ended with the modules.
  const compute = new AnalyticsCompute();
  const svgRenderer = new SvgRenderer();
  registry.register(createAnalyticsModule({ store, dashboards, compute, svgRenderer, ...(options.jarvisSource ? { jarvisSource: options.jarvisSource } : {}) }));
  registry.register(createEngagementModule({ store, ...clock }));
  registry.register(createMarketingModule({ store, ...clock, ...(options.channels ? { channels: options.channels } : {}) }));
  registry.register(
    createAutomationModule({
      store,
      manifest: () => registry.manifest(),
      execute: async (request, ctx) => (await registry.execute(request, ctx)).result,
    }),
  );
  return {
    store,
    dashboards,
    close: () => {
      void compute.close();
      void svgRenderer.close();
      store.close();
    },
  };
}
