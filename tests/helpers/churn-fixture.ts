import type { AnalyticsStore } from '../../src/dawg/modules/analytics/analytics-store';

/*
 * A six-user churn fixture following the generator's column contract. The latest activity is
 * 2025-03-01 12:00 UTC, so with a 30-day window u1–u4 are active, u5 (last seen 45 days
 * before) and u6 (never seen) are dormant. The tests using it work their expected figures out by hand.
 */
export const USER_COLUMNS = {
  user_id: 'VARCHAR', email: 'VARCHAR', first_name: 'VARCHAR', country: 'VARCHAR', utc_offset: 'INTEGER', signup_date: 'DATE',
  plan: 'VARCHAR', monthly_price: 'DOUBLE', price_increased: 'BOOLEAN', competitor_offer: 'BOOLEAN', support_tickets: 'INTEGER',
  tenure_days: 'INTEGER', days_since_last_active: 'INTEGER', sessions_30d: 'INTEGER', minutes_30d: 'DOUBLE', churned: 'BOOLEAN',
} as const;
/** user_id, first_name, country, utc_offset, signup_date, plan, monthly_price, price_increased, competitor_offer, days_since_last_active. */
export type ChurnUserRow = [string, string, string, number, string, string, number, boolean, boolean, number];
export const USERS: ChurnUserRow[] = [
  ['u1', 'Ana', 'DE', 1, '2025-01-15', 'premium', 12.99, false, false, 0],
  ['u2', 'Ben', 'US', -5, '2025-02-03', 'basic', 7.99, true, false, 1],
  ['u3', 'Cleo', 'GB', 0, '2024-12-20', 'free', 0, false, true, 10],
  ['u4', 'Dan', 'JP', 9, '2025-02-20', 'premium', 12.99, false, false, 0],
  ['u5', 'Eve', 'US', -8, '2025-01-05', 'basic', 7.99, true, true, 45],
  ['u6', 'Finn', 'FR', 2, '2024-11-11', 'free', 0, false, false, 120],
];
/** user_id, ts (UTC, 'YYYY-MM-DD HH:MM'), event, minutes. */
export const ACTIVITY: [string, string, string, number][] = [
  ['u1', '2025-03-01 12:00', 'session', 20], ['u1', '2025-02-28 12:00', 'session', 20], ['u1', '2025-02-27 12:00', 'session', 20],
  ['u1', '2025-02-26 12:00', 'session', 20], ['u1', '2025-02-28 12:30', 'stream', 0], ['u1', '2025-02-28 19:00', 'email_open', 0],
  ['u1', '2025-02-27 19:00', 'email_open', 0], ['u1', '2025-02-26 19:30', 'email_open', 0],
  ['u2', '2025-02-27 14:00', 'session', 30], ['u2', '2025-02-24 14:00', 'session', 30], ['u2', '2025-02-20 14:00', 'session', 30],
  ['u2', '2025-02-27 13:00', 'email_open', 0], ['u2', '2025-02-24 13:00', 'email_open', 0],
  ['u3', '2025-02-19 08:00', 'session', 10], ['u3', '2024-12-05 09:00', 'session', 10],
  ['u4', '2025-02-28 22:00', 'session', 90], ['u4', '2025-02-26 22:00', 'session', 90], ['u4', '2025-02-28 07:00', 'email_open', 0],
  ['u4', '2025-02-26 07:00', 'email_open', 0], ['u4', '2025-02-23 07:00', 'email_open', 0],
  ['u5', '2025-01-15 10:00', 'session', 40],
];

/** Loads the fixture into `store` as the `churn_users` and `churn_activity` datasets (replacing any earlier copy). */
export async function loadChurnFixture(store: AnalyticsStore): Promise<void> {
  const users = USERS.map(([user_id, first_name, country, utc_offset, signup_date, plan, monthly_price, price_increased, competitor_offer, days]) => ({
    user_id, email: user_id === 'u6' ? null : `${user_id}@example.invalid`, first_name, country, utc_offset, signup_date, plan, monthly_price,
    price_increased, competitor_offer, support_tickets: 0, tenure_days: 100, days_since_last_active: days, sessions_30d: 0, minutes_30d: 0, churned: false,
  }));
  await store.replaceTable('churn_users', USER_COLUMNS, users);
  const activity = ACTIVITY.map(([user_id, ts, event, minutes]) => ({ user_id, ts: `${ts.replace(' ', 'T')}:00Z`, event, minutes }));
  await store.replaceTable('churn_activity', { user_id: 'VARCHAR', ts: 'TIMESTAMP', event: 'VARCHAR', minutes: 'DOUBLE' }, activity);
}
