import type { AnalyticsStore } from '../analytics/analytics-store';

/*
 * The marketing records in schema jarvis, shared with engagement.track (message_events,
 * campaign_stats). `"at"` and `"to"` are keywords in DuckDB, hence always quoted.
 *
 * Status columns are updated in place; no index covers them, which matters because DuckDB
 * turns an update of an indexed column into delete + insert and then refuses a second one
 * in the same transaction.
 */
const DDL = [
  `CREATE TABLE IF NOT EXISTS jarvis.segmentations (
    id VARCHAR PRIMARY KEY, goal VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
    users_dataset VARCHAR NOT NULL, activity_dataset VARCHAR NOT NULL, scores_dataset VARCHAR,
    min_probability DOUBLE, lookback_days INTEGER NOT NULL, as_of TIMESTAMP NOT NULL, audience INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS jarvis.segments (
    segmentation_id VARCHAR NOT NULL, position INTEGER NOT NULL, name VARCHAR NOT NULL, rule VARCHAR NOT NULL,
    size INTEGER NOT NULL, means VARCHAR NOT NULL, PRIMARY KEY (segmentation_id, name))`,
  `CREATE TABLE IF NOT EXISTS jarvis.segment_members (
    segmentation_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, segment VARCHAR NOT NULL,
    recency_days INTEGER, probability DOUBLE, PRIMARY KEY (segmentation_id, user_id))`,
  `CREATE TABLE IF NOT EXISTS jarvis.campaigns (
    id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, segmentation_id VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    status VARCHAR NOT NULL, send_time VARCHAR NOT NULL, start_date DATE NOT NULL, created_at TIMESTAMP NOT NULL,
    recommendation VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS jarvis.campaign_messages (
    id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, segment VARCHAR NOT NULL,
    "to" VARCHAR NOT NULL, subject VARCHAR NOT NULL, body VARCHAR NOT NULL, send_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL, claim_id VARCHAR, sent_at TIMESTAMP, provider_id VARCHAR, error VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS jarvis.outbox (
    id VARCHAR PRIMARY KEY, campaign_id VARCHAR NOT NULL, message_id VARCHAR NOT NULL, "to" VARCHAR NOT NULL,
    subject VARCHAR NOT NULL, body VARCHAR NOT NULL, queued_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS jarvis.message_events (
    message_id VARCHAR NOT NULL, campaign_id VARCHAR NOT NULL, type VARCHAR NOT NULL, "at" TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, type))`,
  `CREATE TABLE IF NOT EXISTS jarvis.campaign_stats (
    "at" TIMESTAMP NOT NULL, campaign_id VARCHAR NOT NULL, sent INTEGER NOT NULL, opened INTEGER NOT NULL, clicked INTEGER NOT NULL)`,
];

export async function createMarketingTables(store: Pick<AnalyticsStore, 'run'>): Promise<void> {
  for (const statement of DDL) await store.run(statement);
}

/**
 * `createMarketingTables` run once per module instance, on the first action that needs the
 * tables: module factories are synchronous, and the statements are idempotent anyway, so
 * marketing and engagement may each hold one of these.
 */
export function lazyMarketingTables(store: Pick<AnalyticsStore, 'run'>): () => Promise<void> {
  let created: Promise<void> | undefined;
  return () => {
    created ??= createMarketingTables(store).catch((err: unknown) => {
      created = undefined;
      throw err;
    });
    return created;
  };
}
