export { createMarketingModule, type MarketingModuleDeps } from './marketing.module';
export type { MessageChannel, OutgoingMessage } from './message-channel';
export { createEmailChannel, type EmailChannelOptions } from './email-channel';
export { createMarketingTables, lazyMarketingTables } from './marketing-tables';
export { ACTIVITY_COLUMNS, USER_COLUMNS, datasetColumns, daysBetweenSql, latestActivity, readingDatasets, requireDataset } from './datasets';
export { wilsonInterval, type RateEstimate } from './rate-stats';
export { segmentCounts } from './optimize-campaign.action';
export {
  contentCalendarParams,
  createCampaignParams,
  datasetName,
  optimizeCampaignParams,
  outboxParams,
  recordEventParams,
  segmentAudienceParams,
  sendDueParams,
  sendTimesParams,
} from './marketing-schemas';
