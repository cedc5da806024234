/**
 * What kind of values a column holds, decided from every row rather than the first: a query
 * result is uniform, but inline `data` rows come from a caller and may mix types, and a chart
 * that silently drops the odd value would misstate the data.
 */
export type ColumnKind = 'number' | 'temporal' | 'boolean' | 'text' | 'empty';

export type Rows = readonly Record<string, unknown>[];

/** ISO 8601 dates and date-times, as DuckDB results arrive (jsonValue turns DATE/TIMESTAMP into ISO strings). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Milliseconds since the epoch of an ISO date or date-time. A value without a zone is taken as
 * UTC, so the same data draws the same chart whatever the server's time zone.
 */
export function isoToEpochMs(value: string): number {
  if (!ISO_DATE.test(value)) return Number.NaN;
  const normalized = value.replace(' ', 'T');
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(normalized.slice(10));
  return Date.parse(hasZone || !normalized.includes('T') ? normalized : `${normalized}Z`);
}

function kindOf(value: unknown): ColumnKind | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : 'text';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string' && Number.isFinite(isoToEpochMs(value))) return 'temporal';
  return 'text';
}

/** Every column that appears in any row, with the one kind all its non-null values share (else `text`). */
export function profileColumns(rows: Rows): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      const kind = kindOf(value);
      const seen = kinds.get(name);
      if (kind === undefined) {
        if (seen === undefined) kinds.set(name, 'empty');
      } else if (seen === undefined || seen === 'empty') {
        kinds.set(name, kind);
      } else if (seen !== kind) {
        kinds.set(name, 'text');
      }
    }
  }
  return kinds;
}
