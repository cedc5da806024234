import { parentPort } from 'node:worker_threads';
import { AppError } from '../../../../common/errors';
import type { Row } from '../analytics-store';
import type { MlModelParams } from './ml-model.schema';
import { trainAnomalyDetector } from './train-anomaly';
import { trainClassifier } from './train-classify';
import { trainClusterer } from './train-cluster';
import { trainForecaster } from './train-forecast';

/*
 * Worker thread of MlTrainer: fits one model at a time. Fitting is pure JavaScript over up to
 * 100,000 rows (seconds for classify and cluster at that size), which here holds this thread,
 * not the AI DAWG's event loop.
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

export interface TrainRequest {
  id: number;
  rows: Row[];
  params: TrainParams;
  sourceField: string;
}

/** A failure keeps what the caller is told: an AppError's status, code and details (e.g. the field at fault). */
export type TrainReply =
  | { id: number; ok: true; trained: Trained }
  | { id: number; ok: false; message: string; appError?: { status: number; code: string; details?: unknown } };

parentPort?.on('message', (request: TrainRequest) => {
  let reply: TrainReply;
  try {
    reply = { id: request.id, ok: true, trained: fit(request.rows, request.params, request.sourceField) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    reply =
      err instanceof AppError
        ? { id: request.id, ok: false, message, appError: { status: err.status, code: err.code, ...(err.details === undefined ? {} : { details: err.details }) } }
        : { id: request.id, ok: false, message };
  }
  parentPort!.postMessage(reply);
});
