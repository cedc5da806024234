import { fieldError } from '../../../../common/validation';
import type { Row } from '../analytics-store';
import { numericColumn } from './dataset-source';
import { forecastSeries, type EtsModel } from './forecast';
import { futureTime, readTimeAxis, suggestedPeriod, type TimeStep } from './forecast-time';
import type { ForecastParams } from './ml-model.schema';

const MIN_POINTS = 8;

export interface ForecasterParams {
  model: EtsModel;
  timeColumn: string;
  targetColumn: string;
  step: TimeStep;
  lastTime: unknown;
  confidence: number;
}

/** Sorts the rows by time, checks the spacing, then forecasts with the method that wins the holdout. */
export function trainForecaster(rows: readonly Row[], p: ForecastParams, sourceField: string) {
  if (rows.length < MIN_POINTS) throw fieldError(sourceField, `has ${rows.length} rows; forecasting needs at least ${MIN_POINTS} points in time`);
  const axis = readTimeAxis(rows.map((r) => r[p.timeColumn]));
  if (!axis.ok) throw fieldError('params.timeColumn', axis.message);
  const sorted = axis.order.map((i) => rows[i]!);
  const y = numericColumn(sorted, p.targetColumn, 'params.targetColumn');
  const gap = y.findIndex((v) => Number.isNaN(v));
  if (gap >= 0) throw fieldError('params.targetColumn', `has no value at time ${JSON.stringify(sorted[gap]![p.timeColumn])}; fill it first`);
  if (p.seasonLength !== undefined && y.length < 2 * p.seasonLength + 2) {
    throw fieldError('params.seasonLength', `a season of ${p.seasonLength} needs at least ${2 * p.seasonLength + 2} points (two seasons to start from plus two to test on); the series has ${y.length}`);
  }
  const period = p.seasonLength ?? suggestedPeriod(axis.step);
  const result = forecastSeries(y, { horizon: p.horizon, confidence: p.confidence, period, forceSeasonal: p.seasonLength !== undefined });
  const lastTime = sorted[sorted.length - 1]![p.timeColumn];
  const forecast = result.points.map((pt) => ({ t: futureTime(lastTime, axis.step, pt.step), yhat: pt.yhat, lower: pt.lower, upper: pt.upper }));
  const model: ForecasterParams = { model: result.model, timeColumn: p.timeColumn, targetColumn: p.targetColumn, step: axis.step, lastTime, confidence: p.confidence };
  const metrics = {
    holdout: result.holdout,
    residualStd: result.model.sigma,
    intervals: result.intervals,
    candidates: result.candidates,
  };
  return {
    model,
    metrics,
    method: result.model.method,
    seasonLength: result.model.period > 1 ? result.model.period : null,
    parameters: { alpha: result.model.alpha, beta: result.model.beta, gamma: result.model.gamma },
    confidence: p.confidence,
    forecast,
  };
}
