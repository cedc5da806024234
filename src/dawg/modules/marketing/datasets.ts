import { NotFoundError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import { ident, type AnalyticsStore } from '../analytics/analytics-store';

/*
 * Checks on the datasets (tables of schema main) the marketing and engagement actions read.
 * The column contract is the synthetic churn dataset's; a table loaded from a file passes if
 * it has the columns, and its values are CAST in the queries, so a CSV of text columns works.
 */

type Store = Pick<AnalyticsStore, 'all'>;

/** Columns each action needs at least. */
export const ACTIVITY_COLUMNS = ['user_id', 'ts', 'event', 'minutes'] as const;
export const USER_COLUMNS = ['user_id'] as const;
export const SCORE_COLUMNS = ['user_id', 'probability'] as const;

/** The table's column names (lowercase), or undefined when there is no such dataset. */
export async function datasetColumns(store: Store, name: string): Promise<Set<string> | undefined> {
  const rows = await store.all<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = $1",
    [name],
  );
  return rows.length ? new Set(rows.map((r) => r.column_name.toLowerCase())) : undefined;
}

/**
 * The dataset's columns after checking it exists (404) and has `required` (400), both naming
 * `field` so the caller knows which parameter to fix.
 */
export async function requireDataset(store: Store, name: string, field: string, required: readonly string[]): Promise<Set<string>> {
  const columns = await datasetColumns(store, name);
  if (!columns) {
    const available = await store.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1");
    throw new NotFoundError(`${field}: dataset "${name}" does not exist`, { field, available: available.map((r) => r.name) }, 'DATASET_NOT_FOUND');
  }
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length) throw fieldError(field, `dataset "${name}" lacks column(s) ${missing.join(', ')}`, { columns: [...columns] });
  return columns;
}

/** The latest activity timestamp: "now" of a dataset, so synthetic data dated in the past scores sensibly. */
export async function latestActivity(store: Store, activityDataset: string, field: string): Promise<Date> {
  const [row] = await store.all<{ t: string | null }>(`SELECT max(CAST(ts AS TIMESTAMP)) AS t FROM main.${ident(activityDataset)}`);
  if (!row?.t) throw fieldError(field, `dataset "${activityDataset}" has no activity rows`);
  return new Date(row.t);
}

/** Whole days from `from` to `to`, rounded down (a user last seen 30 hours ago is 1 day inactive). */
export function daysBetweenSql(from: string, to: string): string {
  return `CAST(floor(epoch(${to} - ${from}) / 86400) AS INTEGER)`;
}

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Tomorrow's UTC date: the default start of campaigns and calendars. */
export function tomorrow(now: Date): string {
  return addDays(now.toISOString().slice(0, 10), 1);
}

const DATA_ERROR = /^(Conversion|Invalid Input|Out of Range) Error: /;

/**
 * Runs `fn`, turning DuckDB's complaints about the datasets' values (text in a timestamp
 * column, say) into a 400: the caller's data is wrong, not this process. `fields` are the
 * parameters naming the datasets `fn` reads; the first is blamed, all are listed.
 */
export async function readingDatasets<T>(fields: readonly [string, ...string[]], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Not `instanceof Error`: the native binding's errors may come from another realm (e.g. under jest).
    const message = typeof (err as { message?: unknown } | null)?.message === 'string' ? (err as { message: string }).message : '';
    if (!DATA_ERROR.test(message)) throw err;
    const which = fields.length > 1 ? ` (one of ${fields.join(', ')})` : '';
    throw fieldError(fields[0], `a dataset${which} holds a value of the wrong type: ${message.slice(0, 500)}`, { fields });
  }
}
