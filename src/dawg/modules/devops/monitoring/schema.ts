import { z } from 'zod';
import { regexProblem } from '../safe-regex';

/** Most alert rules and SLOs kept together: each evaluation reads every one of them. */
export const MAX_RULES = 200;
export const MIN_WINDOW_SECONDS = 300;
export const MAX_WINDOW_SECONDS = 90 * 86_400;
export const MAX_FOR_SECONDS = 7 * 86_400;

const WINDOW_UNITS = { m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

/** `30d` → 2 592 000; undefined when the text is not a duration. */
export function windowSeconds(window: string): number | undefined {
  const m = /^([1-9]\d{0,3})([mhdw])$/.exec(window);
  return m ? Number(m[1]) * WINDOW_UNITS[m[2] as keyof typeof WINDOW_UNITS] : undefined;
}

/** A label matcher's regex is matched against the whole value, as in PromQL. */
export function anchored(pattern: string): string {
  return `^(?:${pattern})$`;
}

export const ruleNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

const metricName = z.string().max(200).regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name such as jarvis_http_requests_total');
// Names starting with __ are reserved in Prometheus (and __proto__ is no label of ours).
const labelName = z.string().max(100).regex(/^(?!__)[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name (not starting with __)');
const labelValue = z.string().max(500);

const matcherSchema = z
  .strictObject({
    label: labelName,
    op: z.enum(['=', '!=', '=~', '!~']).describe('=, != compare the value; =~, !~ match the whole value against an RE2 regular expression'),
    value: labelValue,
  })
  .superRefine((m, ctx) => {
    if (m.op !== '=~' && m.op !== '!~') return;
    // Checked alone first, so "a)|(b" is refused rather than made valid by the anchoring group.
    const problem = regexProblem(m.value) ?? regexProblem(anchored(m.value));
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

/**
 * Which series of one metric count, without a query language: exact label values, plus
 * matchers for the rest (e.g. status !~ "5.." for availability). A label a series lacks reads
 * as "", as in PromQL.
 */
const selectorShape = {
  metric: metricName,
  labels: z
    .record(labelName, labelValue)
    .refine((labels) => Object.keys(labels).length <= 10, 'must have at most 10 labels')
    .optional()
    .describe('Exact label values, e.g. { "route": "/api/v1/status" }'),
  matchers: z.array(matcherSchema).max(10).optional().describe('Further conditions, e.g. [{ "label": "status", "op": "!~", "value": "5.." }]'),
};
export const selectorSchema = z.strictObject(selectorShape);
export type Selector = z.output<typeof selectorSchema>;

export const alertExprSchema = z.discriminatedUnion('aggregate', [
  z.strictObject({ aggregate: z.enum(['sum', 'avg', 'max', 'min', 'count']).describe('Over the matching series’ current values'), ...selectorShape }),
  z.strictObject({ aggregate: z.literal('rate').describe('Per-second increase of the matching series’ sum since the previous evaluation'), ...selectorShape }),
  z.strictObject({
    aggregate: z.literal('rate-ratio').describe('Increase of numerator ÷ increase of denominator since the previous evaluation, e.g. the share of 5xx answers'),
    numerator: selectorSchema,
    denominator: selectorSchema,
  }),
]);
export type AlertExpr = z.output<typeof alertExprSchema>;

const alertFields = {
  expr: alertExprSchema,
  op: z.enum(['>', '>=', '<', '<=']),
  threshold: z.number(),
  for: z.number().int().min(0).max(MAX_FOR_SECONDS).optional().describe('Seconds the condition must hold before the alert fires (default 0: at once)'),
  severity: z.enum(['info', 'warning', 'critical']),
  description: z.string().max(500).optional(),
};

const sloFields = {
  objective: z.number().gt(50).lt(100).describe('Target percentage of good events, e.g. 99.9'),
  window: z
    .string()
    .refine((w) => {
      const s = windowSeconds(w);
      return s !== undefined && s >= MIN_WINDOW_SECONDS && s <= MAX_WINDOW_SECONDS;
    }, 'must be a duration from 5m to 90d such as 30d, 7d, 1h or 15m')
    .describe('The compliance period: the SLI counts events from the period’s start; a new period starts when it has elapsed'),
  sli: z.strictObject({ good: selectorSchema, total: selectorSchema }).describe('Good events and all events, both counters'),
  description: z.string().max(500).optional(),
};

const atLeastOneChange = (patch: Record<string, unknown>) => Object.keys(patch).some((k) => k !== 'operation' && k !== 'name' && patch[k] !== undefined);
const noChange = { message: 'must change at least one field' };

export const configureMonitoringParamsSchema = z.discriminatedUnion('operation', [
  z.strictObject({ operation: z.literal('create-alert'), name: ruleNameSchema, ...alertFields }),
  z.strictObject({ operation: z.literal('create-slo'), name: ruleNameSchema, ...sloFields }),
  z.strictObject({ operation: z.literal('update-alert'), name: ruleNameSchema, ...z.strictObject(alertFields).partial().shape }).refine(atLeastOneChange, noChange),
  z.strictObject({ operation: z.literal('update-slo'), name: ruleNameSchema, ...z.strictObject(sloFields).partial().shape }).refine(atLeastOneChange, noChange),
  z.strictObject({ operation: z.literal('delete'), name: ruleNameSchema }),
  z.strictObject({ operation: z.literal('list') }),
  z
    .strictObject({
      operation: z.literal('evaluate'),
      names: z.array(ruleNameSchema).min(1).max(MAX_RULES).optional().describe('Alerts and SLOs to evaluate (default: all)'),
      maxAgeSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .optional()
        .describe('Answer the last evaluation of all rules instead when it is at most this old (the control planes\' proactive readings share one)'),
    })
    .refine((p) => !(p.names && p.maxAgeSeconds !== undefined), { message: 'applies to an evaluation of all rules: give names or maxAgeSeconds, not both', path: ['maxAgeSeconds'] }),
]);
export type ConfigureMonitoringParams = z.output<typeof configureMonitoringParamsSchema>;
export type AlertFields = Omit<Extract<ConfigureMonitoringParams, { operation: 'create-alert' }>, 'operation' | 'name'>;
export type SloFields = Omit<Extract<ConfigureMonitoringParams, { operation: 'create-slo' }>, 'operation' | 'name'>;

/* What is stored: the definitions plus the state evaluation carries from one call to the next. */

/** JSON has no Infinity: a value that is one is kept as text. NaN is never stored (it reads as no data). */
export const jsonNumberSchema = z.union([z.number(), z.enum(['+Inf', '-Inf'])]);
export type JsonNumber = z.output<typeof jsonNumberSchema>;

/** Each counted series' last value and when it was seen (series-memory.ts), by label set. */
const seriesMemorySchema = z.record(z.string(), z.tuple([z.number(), z.number()]));

export const alertStateSchema = z.strictObject({
  status: z.enum(['new', 'ok', 'pending', 'firing', 'no-data']),
  value: jsonNumberSchema.nullable(),
  /** When the condition was first seen true in the current run of true evaluations. */
  pendingSinceMs: z.number().nullable(),
  evaluatedAtMs: z.number().nullable(),
  /** The series a rate or rate-ratio is computed from, as of the previous evaluation. */
  previous: z
    .union([
      z.strictObject({ atMs: z.number(), series: seriesMemorySchema, denominatorSeries: seriesMemorySchema.optional() }),
      // Stored before increases were taken per series (sums only): read as no previous evaluation.
      z.strictObject({ atMs: z.number(), value: z.number(), denominator: z.number().optional() }).transform(() => null),
    ])
    .nullable(),
});
export type AlertState = z.output<typeof alertStateSchema>;

const countsSchema = z.strictObject({ good: z.number().min(0), total: z.number().min(0) });
export type Counts = z.output<typeof countsSchema>;

const sloStateFields = {
  periodStartMs: z.number().nullable(),
  evaluatedAtMs: z.number().nullable(),
  /** Evaluations that found a counter series restarted in this period. */
  counterResets: z.number().int().min(0),
};

/** Stored before increases were taken per series: the period's counts so far are kept. */
const legacySloStateSchema = z
  .strictObject({ ...sloStateFields, baseline: countsSchema.nullable(), carried: countsSchema, last: countsSchema.nullable() })
  .transform(({ baseline, carried, last, ...rest }) => ({
    ...rest,
    counted: baseline === null ? { good: 0, total: 0 } : { good: carried.good + (last ?? baseline).good - baseline.good, total: carried.total + (last ?? baseline).total - baseline.total },
    memory: null,
  }));

export const sloStateSchema = z.union([
  z.strictObject({
    ...sloStateFields,
    /** Good and total events counted in this period. */
    counted: countsSchema,
    /** The counters' series at the previous evaluation; null before the first (or after an upgrade). */
    memory: z.strictObject({ good: seriesMemorySchema, total: seriesMemorySchema }).nullable(),
  }),
  legacySloStateSchema,
]);
export type SloState = z.output<typeof sloStateSchema>;

const stamps = { createdAt: z.string(), updatedAt: z.string() };

export const alertRuleSchema = z.strictObject({
  kind: z.literal('alert'),
  name: ruleNameSchema,
  ...alertFields,
  for: alertFields.for.unwrap(),
  ...stamps,
  state: alertStateSchema,
});
export type AlertRule = z.output<typeof alertRuleSchema>;

export const sloRuleSchema = z.strictObject({ kind: z.literal('slo'), name: ruleNameSchema, ...sloFields, ...stamps, state: sloStateSchema });
export type SloRule = z.output<typeof sloRuleSchema>;

export const monitoringDocumentSchema = z.strictObject({
  version: z.literal(1),
  rules: z.array(z.discriminatedUnion('kind', [alertRuleSchema, sloRuleSchema])),
});
export type MonitoringDocument = z.output<typeof monitoringDocumentSchema>;
export type MonitoringRule = MonitoringDocument['rules'][number];
