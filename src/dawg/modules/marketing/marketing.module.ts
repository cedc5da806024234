import type { AnalyticsStore } from '../analytics/analytics-store';
import { defineModule, type ModuleDefinition } from '../../sdk';
import { createContentCalendarAction } from './content-calendar.action';
import { createCreateCampaignAction } from './create-campaign.action';
import { createOutboxChannel, type MessageChannel } from './message-channel';
import { lazyMarketingTables } from './marketing-tables';
import { createOptimizeCampaignAction } from './optimize-campaign.action';
import { createOutboxAction } from './outbox.action';
import { createRecordEventAction } from './record-event.action';
import { createSegmentAudienceAction } from './segment-audience.action';
import { createSendDueAction } from './send-due.action';
import { createSendTimesAction } from './send-times.action';

export interface MarketingModuleDeps {
  store: AnalyticsStore;
  /** Provider adapters by name, besides the built-in 'outbox' (which cannot be replaced). */
  channels?: Record<string, MessageChannel>;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
}

/**
 * Marketing (blueprint v1): audience segmentation, send-time choice, personalised campaigns
 * delivered through pluggable channels (default: a local outbox, nothing leaves the machine),
 * and budget recommendations from measured results. Records live in schema jarvis of the
 * DAWG's DuckDB store.
 */
export function createMarketingModule(deps: MarketingModuleDeps): ModuleDefinition {
  const now = deps.now ?? (() => new Date());
  const base = { store: deps.store, now, tables: lazyMarketingTables(deps.store, { recoverSends: true }) };
  const outbox = createOutboxChannel(deps.store, now);
  const extra = Object.fromEntries(Object.entries(deps.channels ?? {}).filter(([name]) => name !== 'outbox'));
  const channel = (name: string) => (name === 'outbox' ? outbox : extra[name]);
  return defineModule({
    name: 'marketing',
    description: 'Audience segments, optimal send times, personalised e-mail campaigns (local outbox by default), engagement events and budget recommendations',
    version: '1.0.0',
    actions: {
      'segment-audience': createSegmentAudienceAction(base),
      'send-times': createSendTimesAction(base),
      'create-campaign': createCreateCampaignAction({ ...base, channelNames: () => Object.keys(extra) }),
      'send-due': createSendDueAction({ ...base, channel }),
      outbox: createOutboxAction(base),
      'record-event': createRecordEventAction(base),
      'optimize-campaign': createOptimizeCampaignAction(base),
      'content-calendar': createContentCalendarAction(base),
    },
  });
}
