import type { AnalyticsStore } from '../analytics/analytics-store';

/** What every marketing action gets from the module. */
export interface MarketingActionDeps {
  store: AnalyticsStore;
  now: () => Date;
  /** Creates the jarvis.* marketing tables once. */
  tables: () => Promise<void>;
}
