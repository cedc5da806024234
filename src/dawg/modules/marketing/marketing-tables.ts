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
  // When send-due handed the message to its channel: after a crash, a 'sending' message with
  // it may have gone out (it is failed, not resent); one without it never left (it is resent).
  `ALTER TABLE jarvis.campaign_messages ADD COLUMN IF NOT EXISTS handed_at TIMESTAMP`,
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

/** The error of a message that was being handed to its channel when the process stopped. */
export const INTERRUPTED_SEND = 'interrupted: the AI DAWG stopped while handing this message to its channel; it may or may not have been sent, so it is not sent again';

/**
 * Settles messages left 'sending' (by one run's claim, or by every run when `claimId` is
 * absent): a message handed to its channel may have gone out and is failed (never sent
 * twice); the others never left and are scheduled again.
 */
export async function settleSending(store: Pick<AnalyticsStore, 'run'>, claimId?: string): Promise<void> {
  const scope = claimId === undefined ? '' : 'AND claim_id = $2';
  const claim = claimId === undefined ? [] : [claimId];
  await store.run(`UPDATE jarvis.campaign_messages SET status = 'failed', error = $1 WHERE status = 'sending' AND handed_at IS NOT NULL ${scope}`, [INTERRUPTED_SEND, ...claim]);
  await store.run(`UPDATE jarvis.campaign_messages SET status = 'scheduled', claim_id = NULL WHERE status = 'sending' ${claimId === undefined ? '' : 'AND claim_id = $1'}`, claim);
}

/**
 * Settles what send-due runs that died with their process left 'sending' (settleSending), and
 * completes campaigns with nothing left to send. Only safe while no send-due runs on this
 * store: the marketing module runs it once, before its first action (one DAWG process owns
 * the store).
 */
export async function recoverInterruptedSends(store: Pick<AnalyticsStore, 'run'>): Promise<void> {
  await settleSending(store);
  await store.run(
    `UPDATE jarvis.campaigns c SET status = 'completed' WHERE c.status = 'sending'
       AND NOT EXISTS (SELECT 1 FROM jarvis.campaign_messages m WHERE m.campaign_id = c.id AND m.status IN ('scheduled', 'sending'))`,
  );
}

/**
 * `createMarketingTables` run once per module instance, on the first action that needs the
 * tables: module factories are synchronous, and the statements are idempotent anyway, so
 * marketing and engagement may each hold one of these. Only the marketing module's (the one
 * that runs send-due) passes `recoverSends`: its actions all wait for this first.
 */
export function lazyMarketingTables(store: Pick<AnalyticsStore, 'run'>, options: { recoverSends?: boolean } = {}): () => Promise<void> {
  let created: Promise<void> | undefined;
  const init = async () => {
    await createMarketingTables(store);
    if (options.recoverSends) await recoverInterruptedSends(store);
  };
  return () => {
    created ??= init().catch((err: unknown) => {
      created = undefined;
      throw err;
    });
    return created;
  };
}
