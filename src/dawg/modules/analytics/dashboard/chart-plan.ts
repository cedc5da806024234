import type { z } from 'zod';
import { fieldError } from '../../../../common/validation';
import type { analyticsDashboardParams } from '../analytics-schemas';
import type { ColumnKind, Rows } from './columns';

export type DashboardParams = z.output<typeof analyticsDashboardParams>;
export type ChartParams = DashboardParams['charts'][number];
export type ChartType = ChartParams['type'];
export type ImageChartType = Exclude<ChartType, 'table'>;

export interface PlotColumn {
  name: string;
  kind: ColumnKind;
}

/** A chart checked against the data: every column it names exists and holds what the chart type draws. */
export type ChartPlan =
  | { kind: 'image'; index: number; type: ImageChartType; title: string; x?: PlotColumn; y: string[] }
  | { kind: 'table'; index: number; type: 'table'; title: string; columns: string[] };

class ChartChecker {
  private readonly at: string;

  constructor(
    private readonly chart: ChartParams,
    readonly index: number,
    private readonly columns: ReadonlyMap<string, ColumnKind>,
  ) {
    this.at = `params.charts.${index}`;
  }

  /** The column behind `field` (x, y or y.<j>), which must exist and, unless `allowEmpty`, hold some value. */
  column(field: string, name: string): PlotColumn {
    const kind = this.columns.get(name);
    if (kind === undefined) {
      const known = [...this.columns.keys()].slice(0, 50).join(', ');
      throw fieldError(`${this.at}.${field}`, `no column "${name}" in the data (columns: ${known})`);
    }
    if (kind === 'empty') throw fieldError(`${this.at}.${field}`, `column "${name}" has no values (every row is null)`);
    return { name, kind };
  }

  /** The x column, which this chart type cannot do without. */
  requiredX(role: string): PlotColumn {
    if (this.chart.x === undefined) throw fieldError(`${this.at}.x`, `is required: a ${this.chart.type} chart needs ${role}`);
    return this.column('x', this.chart.x);
  }

  /** The y column(s): each must exist and, for chart types that draw measures, be numeric. */
  ys(): Array<{ field: string; name: string }> {
    const y = this.chart.y;
    if (y === undefined) return [];
    return typeof y === 'string' ? [{ field: 'y', name: y }] : y.map((name, j) => ({ field: `y.${j}`, name }));
  }

  requiredNumericY(max: number): string[] {
    const ys = this.ys();
    if (ys.length === 0) throw fieldError(`${this.at}.y`, `is required: a ${this.chart.type} chart plots a numeric column`);
    if (ys.length > max) throw fieldError(`${this.at}.y`, `a ${this.chart.type} chart takes ${max === 1 ? 'one column' : `at most ${max} columns`}`);
    return ys.map(({ field, name }) => this.numeric(field, name).name);
  }

  /** Every chart type but table draws its y as a measure: a text column there has no position to be drawn at. */
  numeric(field: string, name: string): PlotColumn {
    const col = this.column(field, name);
    if (col.kind !== 'number') {
      throw fieldError(`${this.at}.${field}`, `column "${name}" is ${col.kind === 'text' ? 'not numeric' : col.kind}; a ${this.chart.type} chart needs numbers here`);
    }
    return col;
  }

  fail(field: string, message: string): never {
    throw fieldError(`${this.at}.${field}`, message);
  }
}

function planHistogram(check: ChartChecker, chart: ChartParams): ChartPlan {
  if (chart.x !== undefined && chart.y !== undefined) check.fail('x', 'a histogram counts the values of one column: give only y');
  let binned: string;
  if (chart.y !== undefined) binned = check.requiredNumericY(1)[0]!;
  else if (chart.x !== undefined) binned = check.numeric('x', chart.x).name;
  else check.fail('y', 'is required: a histogram counts the values of a numeric column');
  return { kind: 'image', index: check.index, type: 'histogram', title: chart.title ?? `Distribution of ${binned}`, y: [binned] };
}

function planPie(check: ChartChecker, chart: ChartParams, rows: Rows): ChartPlan {
  const x = check.requiredX('a category column');
  const [y] = check.requiredNumericY(1) as [string];
  if (rows.some((r) => typeof r[y] === 'number' && r[y] < 0)) check.fail('y', `column "${y}" has negative values; a pie shows the parts of a whole`);
  return { kind: 'image', index: check.index, type: 'pie', title: chart.title ?? `${y} by ${x.name}`, x, y: [y] };
}

function planTable(check: ChartChecker, chart: ChartParams, all: readonly string[]): ChartPlan {
  const named = [...(chart.x === undefined ? [] : [{ field: 'x', name: chart.x }]), ...check.ys()];
  for (const { field, name } of named) check.column(field, name);
  const columns = named.length === 0 ? [...all] : [...new Set(named.map((n) => n.name))];
  return { kind: 'table', index: check.index, type: 'table', title: chart.title ?? 'Data', columns };
}

/**
 * Checks one chart against the rows and says what to draw. Every chart is planned before any
 * is rendered, so a mistake in the last chart costs no rendering and stores nothing.
 */
export function planChart(chart: ChartParams, index: number, rows: Rows, columns: ReadonlyMap<string, ColumnKind>): ChartPlan {
  const check = new ChartChecker(chart, index, columns);
  switch (chart.type) {
    case 'table':
      return planTable(check, chart, [...columns.keys()]);
    case 'histogram':
      return planHistogram(check, chart);
    case 'pie':
      return planPie(check, chart, rows);
    default: {
      const x = check.requiredX(chart.type === 'bar' ? 'a category column' : 'a column for the horizontal axis');
      const y = check.requiredNumericY(8);
      return { kind: 'image', index, type: chart.type, title: chart.title ?? `${y.join(', ')} by ${x.name}`, x, y };
    }
  }
}
