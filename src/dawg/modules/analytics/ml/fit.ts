import type { Row } from '../analytics-store';
import type { MlModelParams } from './ml-model.schema';
import { trainAnomalyDetector } from './train-anomaly';
import { trainClassifier } from './train-classify';
import { trainClusterer } from './train-cluster';
import { trainForecaster } from './train-forecast';

/*
 * Fitting, the same way for every kind: pure JavaScript over up to 100,000 rows (seconds for
 * classify and cluster at that size), run on the analytics compute worker (AnalyticsCompute).
 */

export type TrainParams = Exclude<MlModelParams, { kind: 'predict' }>;

/** What each kind of training returns, tagged with its kind. */
export type Trained =
  | { kind: 'classify'; result: ReturnType<typeof trainClassifier> }
  | { kind: 'cluster'; result: ReturnType<typeof trainClusterer> }
  | { kind: 'forecast'; result: ReturnType<typeof trainForecaster> }
  | { kind: 'anomaly'; result: ReturnType<typeof trainAnomalyDetector> };

/** Fits the model `p` asks for on `rows`. `sourceField` names the parameter the rows came from, for errors. */
export function fit(rows: readonly Row[], p: TrainParams, sourceField: string): Trained {
  switch (p.kind) {
    case 'classify':
      return { kind: p.kind, result: trainClassifier(rows, p) };
    case 'cluster':
      return { kind: p.kind, result: trainClusterer(rows, p, sourceField) };
    case 'forecast':
      return { kind: p.kind, result: trainForecaster(rows, p, sourceField) };
    case 'anomaly':
      return { kind: p.kind, result: trainAnomalyDetector(rows, p, sourceField) };
  }
}
