import type { AnalyticsStore } from '../analytics/analytics-store';
import { defineModule, type ModuleDefinition } from '../../sdk';
import { lazyMarketingTables } from '../marketing';
import { createCohortsAction } from './cohorts.action';
import { createScoreUsersAction } from './score-users.action';
import { createTrackAction } from './track.action';

export interface EngagementModuleDeps {
  store: AnalyticsStore;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
}

/**
 * Engagement (blueprint v1): user scores and cohort retention from the activity datasets, and
 * the measured response to marketing's campaigns (whose tables it shares).
 */
export function createEngagementModule(deps: EngagementModuleDeps): ModuleDefinition {
  const base = { store: deps.store, now: deps.now ?? (() => new Date()), tables: lazyMarketingTables(deps.store) };
  return defineModule({
    name: 'engagement',
    description: 'Engagement scores (recency, frequency, duration), signup-cohort retention and campaign engagement tracking',
    version: '1.0.0',
    actions: {
      'score-users': createScoreUsersAction(base),
      cohorts: createCohortsAction(base),
      track: createTrackAction(base),
    },
  });
}
