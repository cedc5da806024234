import type { TopLevelSpec } from 'vega-lite';
import type { ChartPlan, PlotColumn } from './chart-plan';
import { isoToEpochMs, type Rows } from './columns';

type ImagePlan = Extract<ChartPlan, { kind: 'image' }>;
type Encoding = Record<string, unknown>;

export const CHART_SIZE = { width: 640, height: 300, pie: 300 } as const;
/** Bins a histogram aims for; Vega picks a "nice" step at or under it. */
export const HISTOGRAM_MAX_BINS = 30;

/*
 * The data's own column names never reach Vega as field names: there a dot or a bracket means
 * nested access, and names end up inside generated expression code. Rows are reshaped into
 * these fixed fields, and the real names appear only as axis and legend titles (plain text).
 */
const X = 'x';
const SERIES = 'series';
const VALUE = 'value';

/** Values of a temporal column as epoch ms; other kinds as numbers, or as text for category axes. */
function xValue(value: unknown, column: PlotColumn): unknown {
  if (value === null || value === undefined) return null;
  if (column.kind === 'temporal') return isoToEpochMs(String(value));
  if (column.kind === 'number') return value;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Long format, one value per row and y column (`series` names the column), so several y columns
 * become series of one chart. Rows without a number to draw are left out, as Vega would.
 */
export function longFormat(plan: ImagePlan, rows: Rows): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const row of rows) {
    const x = plan.x ? xValue(row[plan.x.name], plan.x) : undefined;
    if (plan.x && x === null) continue;
    for (const y of plan.y) {
      const value = row[y];
      if (typeof value === 'number' && Number.isFinite(value)) out.push({ [X]: x, [SERIES]: y, [VALUE]: value });
    }
  }
  return out;
}

/** The coarsest calendar unit all timestamps sit on, so bar labels read "2024-03" rather than "2024-03-01 00:00". */
function temporalUnit(values: readonly unknown[]): 'utcyearmonth' | 'utcyearmonthdate' | 'utcyearmonthdatehoursminutes' {
  const dates = values.filter((v): v is number => typeof v === 'number').map((v) => new Date(v));
  const midnight = dates.every((d) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0);
  if (!midnight) return 'utcyearmonthdatehoursminutes';
  return dates.every((d) => d.getUTCDate() === 1) ? 'utcyearmonth' : 'utcyearmonthdate';
}

/** The x channel: continuous for line/area/scatter over numbers and times, discrete for bars and text. */
function xEncoding(plan: ImagePlan, x: PlotColumn, values: Array<Record<string, unknown>>): Encoding {
  const base = { field: X, title: x.name };
  if (plan.type === 'bar') {
    if (x.kind === 'temporal') return { ...base, type: 'ordinal', timeUnit: temporalUnit(values.map((v) => v[X])) };
    return { ...base, type: x.kind === 'number' ? 'ordinal' : 'nominal' };
  }
  if (x.kind === 'temporal') return { ...base, type: 'temporal', scale: { type: 'utc' } };
  if (x.kind === 'number') return { ...base, type: 'quantitative', scale: { zero: false } };
  return { ...base, type: 'nominal' };
}

function seriesEncoding(plan: ImagePlan): Encoding {
  if (plan.y.length < 2) return {};
  const color = { color: { field: SERIES, type: 'nominal', title: 'series', sort: plan.y } };
  return plan.type === 'bar' ? { ...color, xOffset: { field: SERIES, sort: plan.y } } : color;
}

/** Vega's default palette has 10 colours, so an 11th slice would repeat the first: past 10, the 20-colour one. */
function pieScheme(values: Array<Record<string, unknown>>): 'tableau10' | 'tableau20' {
  return new Set(values.map((v) => v[X])).size > 10 ? 'tableau20' : 'tableau10';
}

const MARKS: Record<'line' | 'bar' | 'area' | 'scatter', unknown> = {
  line: { type: 'line' },
  bar: { type: 'bar' },
  area: { type: 'area', opacity: 0.85 },
  scatter: { type: 'point', filled: true },
};

function xyEncoding(plan: ImagePlan, values: Array<Record<string, unknown>>): Encoding {
  const yTitle = plan.y.length === 1 ? plan.y[0] : 'value';
  // Bars sum the rows of one category; the other types draw each row where it is.
  const y = { field: VALUE, type: 'quantitative', title: yTitle, ...(plan.type === 'bar' ? { aggregate: 'sum' } : {}) };
  return { x: xEncoding(plan, plan.x!, values), y, ...seriesEncoding(plan) };
}

/** The Vega-Lite spec of one image chart, with its data inline (Vega loads nothing). */
export function chartSpec(plan: ImagePlan, rows: Rows): TopLevelSpec {
  const values = longFormat(plan, rows);
  const common = { title: { text: plan.title, anchor: 'start' }, data: { values }, background: 'white' };
  let body: Record<string, unknown>;
  if (plan.type === 'histogram') {
    body = {
      mark: { type: 'bar' },
      encoding: {
        x: { field: VALUE, type: 'quantitative', bin: { maxbins: HISTOGRAM_MAX_BINS }, title: plan.y[0] },
        y: { aggregate: 'count', type: 'quantitative', title: 'count' },
      },
      width: CHART_SIZE.width,
      height: CHART_SIZE.height,
    };
  } else if (plan.type === 'pie') {
    body = {
      mark: { type: 'arc' },
      encoding: {
        theta: { field: VALUE, type: 'quantitative', aggregate: 'sum', title: plan.y[0] },
        color: { field: X, type: 'nominal', title: plan.x!.name, scale: { scheme: pieScheme(values) } },
      },
      width: CHART_SIZE.pie,
      height: CHART_SIZE.pie,
    };
  } else {
    body = { mark: MARKS[plan.type], encoding: xyEncoding(plan, values), width: CHART_SIZE.width, height: CHART_SIZE.height };
  }
  return { ...common, ...body } as TopLevelSpec;
}
