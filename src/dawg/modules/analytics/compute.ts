import path from 'node:path';
import { AppError } from '../../../common/errors';
import { WorkerRequests, type SendOptions } from '../../../common/ts-worker';
import { rebuildError } from '../../../common/worker-errors';
import type { Row } from './analytics-store';
import type { ComputeReply, ComputeRequest } from './compute-worker';
import type { Trained, TrainParams } from './ml/fit';
import type { ChurnTable } from './synthetic/churn-contract';
import type { ChurnDatasetOptions } from './synthetic/churn-dataset';

/**
 * The analytics module's CPU-heavy JavaScript on a worker thread, one job at a time, so it
 * never holds the AI DAWG's event loop, which answers /health and every other module: fitting
 * ml-model's models (about 2 s for classify or cluster on 100,000 rows on a 2-vCPU VM; the rows
 * are copied over, about 0.1 s at that size) and generating the synthetic churn dataset. The
 * worker starts on first use and stops after `idleMs` without work. A caller that goes away
 * ends its job by ending the worker, unless other jobs wait on it (then the abandoned one
 * finishes and its answer is dropped).
 */
export class AnalyticsCompute {
  private readonly requests: WorkerRequests<ComputeRequest, ComputeReply>;

  constructor(idleMs = 60_000) {
    this.requests = new WorkerRequests<ComputeRequest, ComputeReply>(path.join(__dirname, 'compute-worker.ts'), {
      failed: (answer) => rebuildError(answer.error),
      died: (reason) => new AppError(500, 'ANALYTICS_WORKER_FAILED', `The analytics worker stopped (${reason}); nothing was stored`),
      stopped: () => new AppError(503, 'ANALYTICS_WORKER_STOPPED', 'The analytics worker was stopped; try again'),
      idleMs,
    });
  }

  /** Fits the model `params` asks for; `sourceField` names the parameter the rows came from, for errors. */
  async fit(rows: Row[], params: TrainParams, sourceField: string, signal?: AbortSignal): Promise<Trained> {
    const { trained } = await this.requests.send({ type: 'fit', rows, params, sourceField }, this.options(signal));
    if (!trained) throw new Error('the analytics worker answered a fit without a model');
    return trained;
  }

  /** Generates the synthetic churn dataset into NDJSON files (one per table); answers each file's row count. */
  async churnDataset(options: ChurnDatasetOptions, files: Record<ChurnTable, string>, signal?: AbortSignal): Promise<Record<ChurnTable, number>> {
    const { counts } = await this.requests.send({ type: 'churn-dataset', options, files }, this.options(signal));
    if (!counts) throw new Error('the analytics worker answered a dataset without row counts');
    return counts;
  }

  close(): Promise<void> {
    return this.requests.stop();
  }

  private options(signal: AbortSignal | undefined): SendOptions {
    return { ...(signal ? { signal } : {}), endOnAbort: 'when-alone' };
  }
}
