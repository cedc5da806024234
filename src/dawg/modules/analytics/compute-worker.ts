import { parentPort } from 'node:worker_threads';
import { serializeError, type SerializedError } from '../../../common/worker-errors';
import type { Row } from './analytics-store';
import { fit, type Trained, type TrainParams } from './ml/fit';
import { writeNdjson } from './ndjson';
import { CHURN_TABLES, churnTableColumns, type ChurnTable } from './synthetic/churn-contract';
import { generateChurnDataset, type ChurnDatasetOptions } from './synthetic/churn-dataset';

/*
 * Worker thread of AnalyticsCompute: the analytics module's CPU-heavy JavaScript, one job at a
 * time, so it holds this thread and not the AI DAWG's event loop.
 * - fit: an ml-model (about 2 s for classify or cluster on 100,000 rows).
 * - churn-dataset: the synthetic churn dataset, written straight to NDJSON files the main
 *   thread then loads into DuckDB (about 6 s to generate at 50,000 users, 1.9 million
 *   activity rows, and as long again to write them).
 */

export type ComputeRequest =
  | { id: number; type: 'fit'; rows: Row[]; params: TrainParams; sourceField: string }
  | { id: number; type: 'churn-dataset'; options: ChurnDatasetOptions; files: Record<ChurnTable, string> };

/** A failure crosses as data (serializeError) and is rebuilt as the same error class, status, code and details. */
export type ComputeReply =
  | { id: number; ok: true; trained?: Trained; counts?: Record<ChurnTable, number> }
  | { id: number; ok: false; error: SerializedError };

async function churnDataset(options: ChurnDatasetOptions, files: Record<ChurnTable, string>): Promise<Record<ChurnTable, number>> {
  const data = generateChurnDataset(options);
  const counts = {} as Record<ChurnTable, number>;
  for (const t of CHURN_TABLES) counts[t] = await writeNdjson(files[t], Object.keys(churnTableColumns[t]), data[t]);
  return counts;
}

parentPort?.on('message', (request: ComputeRequest) => {
  const work: Promise<Omit<Extract<ComputeReply, { ok: true }>, 'id' | 'ok'>> =
    request.type === 'fit'
      ? new Promise((resolve) => resolve({ trained: fit(request.rows, request.params, request.sourceField) }))
      : churnDataset(request.options, request.files).then((counts) => ({ counts }));
  work.then(
    (value) => parentPort!.postMessage({ id: request.id, ok: true, ...value } satisfies ComputeReply),
    (err: unknown) => parentPort!.postMessage({ id: request.id, ok: false, error: serializeError(err) } satisfies ComputeReply),
  );
});
