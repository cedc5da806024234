import { z } from 'zod';
import { SEVERITIES } from './log-record';
import { regexProblem } from '../safe-regex';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The widest range one query may cover; wider scans belong in a log store, not a file scan. */
export const MAX_RANGE_DAYS = 31;
export const DEFAULT_RANGE_MS = HOUR_MS;

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, e.g. 2025-01-31T12:00:00Z' });

const timeRangeSchema = z
  .object({ start: isoDateTime, end: isoDateTime })
  .strict()
  .superRefine((range, ctx) => {
    const start = Date.parse(range.start);
    const end = Date.parse(range.end);
    if (!(end > start)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    else if (end - start > MAX_RANGE_DAYS * DAY_MS) ctx.addIssue({ code: 'custom', path: ['end'], message: `must be at most ${MAX_RANGE_DAYS} days after start` });
  });

/** Service names double as log file names (`<service>.log`), so they keep to file-name characters. */
export const serviceNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a service name (letters, digits, ".", "_", "-")');

export const queryLogsParamsSchema = z
  .object({
    query: z
      .string()
      .min(1, 'must not be empty')
      .max(1000, 'must be at most 1000 characters')
      .superRefine((query, ctx) => {
        const problem = regexProblem(query);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('RE2 regular expression matched against each entry’s message and the JSON of its other fields; (?i) for case-insensitive'),
    services: z.array(serviceNameSchema).min(1).max(20).optional().describe('Keep entries whose service is one of these; "audit" selects the control plane’s audit log'),
    timeRange: timeRangeSchema.optional().describe(`Defaults to the last hour; at most ${MAX_RANGE_DAYS} days`),
    severity: z.array(z.enum(SEVERITIES)).min(1).max(SEVERITIES.length).optional(),
    detectAnomalies: z.boolean().default(false),
    limit: z.number().int().min(1).max(1000).default(100).describe('Most matches returned (newest first); totals count them all'),
  })
  .strict();

export type QueryLogsParams = z.output<typeof queryLogsParamsSchema>;

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** The range asked for, or the hour before `nowMs`. */
export function resolveWindow(params: Pick<QueryLogsParams, 'timeRange'>, nowMs: number): TimeWindow {
  if (!params.timeRange) return { startMs: nowMs - DEFAULT_RANGE_MS, endMs: nowMs };
  return { startMs: Date.parse(params.timeRange.start), endMs: Date.parse(params.timeRange.end) };
}
