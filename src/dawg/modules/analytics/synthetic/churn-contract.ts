import type { ColumnType } from '../analytics-store';

/*
 * The churn dataset's tables: column names and types are a fixed contract with the marketing
 * and engagement modules, which query these tables by name.
 */

export const churnUsersColumns = {
  user_id: 'VARCHAR',
  email: 'VARCHAR',
  first_name: 'VARCHAR',
  country: 'VARCHAR',
  utc_offset: 'INTEGER',
  signup_date: 'DATE',
  plan: 'VARCHAR',
  monthly_price: 'DOUBLE',
  price_increased: 'BOOLEAN',
  competitor_offer: 'BOOLEAN',
  support_tickets: 'INTEGER',
  tenure_days: 'INTEGER',
  days_since_last_active: 'INTEGER',
  sessions_30d: 'INTEGER',
  minutes_30d: 'DOUBLE',
  churned: 'BOOLEAN',
} as const satisfies Record<string, ColumnType>;

export const churnActivityColumns = {
  user_id: 'VARCHAR',
  ts: 'TIMESTAMP',
  event: 'VARCHAR',
  minutes: 'DOUBLE',
} as const satisfies Record<string, ColumnType>;

export const churnMonthlyColumns = {
  month: 'DATE',
  active_users: 'INTEGER',
  churned_users: 'INTEGER',
  churn_rate: 'DOUBLE',
} as const satisfies Record<string, ColumnType>;

/** The three tables by their suffix (`<prefix>_users`, ...), each with its columns. */
export const churnTableColumns = { users: churnUsersColumns, activity: churnActivityColumns, monthly: churnMonthlyColumns } as const;
export type ChurnTable = keyof typeof churnTableColumns;
export const CHURN_TABLES = Object.keys(churnTableColumns) as ChurnTable[];

export type Plan = 'free' | 'basic' | 'premium';
export type ActivityEvent = 'session' | 'stream' | 'share' | 'email_open' | 'email_click';

// Type aliases rather than interfaces: they are assignable to the store's Row (Record<string, unknown>).

export type ChurnUserRow = {
  user_id: string;
  email: string;
  first_name: string;
  country: string;
  utc_offset: number;
  /** YYYY-MM-DD */
  signup_date: string;
  plan: Plan;
  monthly_price: number;
  price_increased: boolean;
  competitor_offer: boolean;
  support_tickets: number;
  tenure_days: number;
  days_since_last_active: number;
  sessions_30d: number;
  minutes_30d: number;
  churned: boolean;
};

export type ChurnActivityRow = {
  user_id: string;
  /** ISO timestamp, UTC. */
  ts: string;
  event: ActivityEvent;
  minutes: number;
};

export type ChurnMonthlyRow = {
  /** YYYY-MM-DD, first day of the month. */
  month: string;
  active_users: number;
  churned_users: number;
  churn_rate: number;
};
