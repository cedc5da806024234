import path from 'node:path';
import { AppError } from '../../../../common/errors';
import { WorkerRequests } from '../../../../common/ts-worker';
import type { Row } from '../analytics-store';
import type { Trained, TrainParams, TrainReply, TrainRequest } from './ml-train-worker';

/**
 * Fits models on a worker thread, one at a time, so training on a large dataset (about 2 s for
 * classify or cluster on 100,000 rows on a 2-vCPU VM) never holds the AI DAWG's event loop,
 * which answers /health and every other module. The rows are copied to the worker (about
 * 0.1 s at 100,000 rows). The worker starts on first use and stops after `idleMs` without
 * work. A caller that goes away ends its training by ending the worker, unless other trainings
 * wait on it (then the abandoned one finishes and its answer is dropped).
 */
export class MlTrainer {
  private readonly requests = new WorkerRequests<TrainRequest, TrainReply>(path.join(__dirname, 'ml-train-worker.ts'), {
    failed: (answer) =>
      answer.appError
        ? new AppError(answer.appError.status, answer.appError.code, answer.message, answer.appError.details)
        : new Error(`model training failed: ${answer.message}`),
    died: (reason) => new AppError(500, 'MODEL_TRAINING_FAILED', `The model trainer stopped (${reason}); nothing was stored`),
    stopped: () => new AppError(503, 'MODEL_TRAINER_STOPPED', 'The model trainer was stopped; try again'),
  });
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs = 60_000) {}

  async train(rows: Row[], params: TrainParams, sourceField: string, signal?: AbortSignal): Promise<Trained> {
    clearTimeout(this.idleTimer);
    try {
      return (await this.requests.send({ rows, params, sourceField }, { signal, endOnAbort: 'when-alone' })).trained;
    } finally {
      if (this.requests.pending === 0) this.idleTimer = setTimeout(() => void this.close(), this.idleMs).unref();
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.requests.stop();
  }
}
