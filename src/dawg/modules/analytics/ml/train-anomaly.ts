import { fieldError } from '../../../../common/validation';
import type { Row } from '../analytics-store';
import { detectAnomalies } from './anomaly';
import { numericColumn } from './dataset-source';
import { readTimeAxis, suggestedPeriod } from './forecast-time';
import type { AnomalyParams } from './ml-model.schema';

const MIN_POINTS = 8;

function timeKey(v: unknown, row: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const ms = typeof v === 'string' ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v) : Number.NaN;
  if (Number.isNaN(ms)) throw fieldError('params.timeColumn', `row ${row + 1} has ${JSON.stringify(v)}, not a number, date or timestamp`);
  return ms;
}

/** Orders the series (by time when given), drops rows without a value, and flags robust outliers. */
export function trainAnomalyDetector(rows: readonly Row[], p: AnomalyParams, sourceField: string) {
  let order = rows.map((_, i) => i);
  if (p.timeColumn !== undefined) {
    const keys = rows.map((r, i) => timeKey(r[p.timeColumn!], i));
    order = order.sort((a, b) => keys[a]! - keys[b]!);
  }
  const all = numericColumn(order.map((i) => rows[i]!), p.metric, 'params.metric');
  const kept = order.flatMap((rowIndex, k) => (Number.isNaN(all[k]!) ? [] : [{ rowIndex, value: all[k]! }]));
  if (kept.length < MIN_POINTS) throw fieldError(sourceField, `has ${kept.length} rows with a ${p.metric} value; anomaly detection needs at least ${MIN_POINTS}`);
  // Evenly spaced times suggest a season (7 for days, 12 for months); uneven ones suggest none.
  const axis = p.timeColumn !== undefined ? readTimeAxis(kept.map((k) => rows[k.rowIndex]![p.timeColumn!])) : undefined;
  const preferredPeriod = axis?.ok ? suggestedPeriod(axis.step) : undefined;
  const result = detectAnomalies(kept.map((k) => k.value), { sensitivity: p.sensitivity, preferredPeriod });
  const anomalies = result.anomalies.map((a) => ({
    index: a.index,
    row: kept[a.index]!.rowIndex + 1,
    ...(p.timeColumn !== undefined ? { t: rows[kept[a.index]!.rowIndex]![p.timeColumn] } : {}),
    value: a.value,
    expected: a.expected,
    score: a.score,
    direction: a.direction,
  }));
  const metrics = {
    points: kept.length,
    skippedRows: rows.length - kept.length,
    count: anomalies.length,
    threshold: result.threshold,
    scale: result.scale,
    period: result.period ?? null,
  };
  return { model: { metric: p.metric, sensitivity: p.sensitivity, threshold: result.threshold, scale: result.scale, period: result.period ?? null }, metrics, anomalies };
}
