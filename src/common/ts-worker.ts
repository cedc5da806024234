import { Worker } from 'node:worker_threads';

/**
 * A worker thread whose entry is a TypeScript file, run without a build step: the worker
 * registers tsx's require hook itself and then loads the entry, with no inherited flags. (A .ts
 * entry given to Worker directly is refused before the hooks of an inherited --import are
 * ready, under `npm start`, the tsx CLI and jest alike.) Unref'd: it never keeps the process up.
 */
export function startTsWorker(filename: string, workerData?: unknown): Worker {
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(filename)});`;
  const worker = new Worker(boot, { eval: true, execArgv: [], workerData });
  worker.unref();
  return worker;
}

/** A request as sent, before it is given its id (each member of a union on its own). */
export type Unsent<Q> = Q extends unknown ? Omit<Q, 'id'> : never;

/** What a worker answers: the id of the request, and whether it succeeded. */
export type WorkerAnswer = { id: number; ok: boolean };

export interface WorkerRequestsOptions<A extends WorkerAnswer> {
  /** The error a request gets for a failed answer (`ok: false`). */
  failed(answer: Extract<A, { ok: false }>): Error;
  /** The error requests get when the worker dies (crash, out of memory). */
  died(reason: string): Error;
  /** The error requests get when the worker is stopped while they wait. */
  stopped(): Error;
  /** Told when the worker fails. */
  onError?(err: Error): void;
  /** The worker is stopped after this long with no request waiting (default: kept until `stop`). */
  idleMs?: number;
  /** `workerData` for each worker, asked as it starts. */
  workerData?(): unknown;
  /** Told of a message from the worker that answers no request (one without a numeric `id`). */
  onNotice?(message: unknown): void;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Without an answer by then, the request fails with `onTimeout()` and the worker is ended. */
  timeoutMs?: number;
  onTimeout?: () => Error;
  /**
   * The work in the worker cannot be interrupted, so a request whose caller goes away ends the
   * worker: `always`, or only `when-alone` (no other request waits; else the abandoned work
   * finishes and its answer is dropped).
   */
  endOnAbort: 'always' | 'when-alone';
}

/**
 * Requests to one TypeScript worker thread (started on first use, stopped after `idleMs` with
 * nothing to do), matched to their answers by id. Nothing is ever left waiting: a worker that dies or is stopped fails what waits on it.
 * `generation` changes whenever a worker starts, stops or dies, so state kept in a worker (a
 * loaded copy) is known to be there only while it is the same.
 */
export class WorkerRequests<Q extends { id: number }, A extends WorkerAnswer> {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (answer: Extract<A, { ok: true }>) => void; reject: (err: unknown) => void }>();
  private nextId = 1;
  private changes = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly filename: string,
    private readonly options: WorkerRequestsOptions<A>,
  ) {}

  /** Changes whenever a worker starts, stops or dies. */
  get generation(): number {
    return this.changes;
  }

  send(message: Unsent<Q>, options: SendOptions): Promise<Extract<A, { ok: true }>> {
    options.signal?.throwIfAborted();
    clearTimeout(this.idleTimer);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', aborted);
        this.waiting.delete(id);
        this.stopWhenIdle();
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              done();
              reject(options.onTimeout?.() ?? new Error('timed out'));
              void this.stop();
            }, options.timeoutMs);
      const aborted = () => {
        done();
        reject(options.signal!.reason);
        if (options.endOnAbort === 'always' || this.waiting.size === 0) void this.stop();
      };
      options.signal?.addEventListener('abort', aborted, { once: true });
      this.waiting.set(id, {
        resolve: (answer) => {
          done();
          resolve(answer);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      worker.postMessage({ ...message, id });
    });
  }

  /**
   * Starts the worker now, if none runs, so its start-up overlaps work the caller does before
   * its first request. Stopped after `idleMs` like any worker if no request follows.
   */
  warm(): void {
    if (this.worker) return;
    this.start();
    this.stopWhenIdle();
  }

  /** Ends the worker; what still waits fails with `stopped()`. The next request starts another. */
  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) this.changes++;
    for (const w of [...this.waiting.values()]) w.reject(this.options.stopped());
    await worker?.terminate();
  }

  /** With nothing waiting on a running worker, stops it after `idleMs` (the next send clears the timer). */
  private stopWhenIdle(): void {
    const { idleMs } = this.options;
    if (idleMs !== undefined && this.waiting.size === 0 && this.worker) this.idleTimer = setTimeout(() => void this.stop(), idleMs).unref();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startTsWorker(this.filename, this.options.workerData?.());
    this.changes++;
    worker.on('message', (answer: A) => {
      if (typeof answer?.id !== 'number') {
        this.options.onNotice?.(answer);
        return;
      }
      const w = this.waiting.get(answer.id);
      if (!w) return;
      if (answer.ok) w.resolve(answer as Extract<A, { ok: true }>);
      else w.reject(this.options.failed(answer as Extract<A, { ok: false }>));
    });
    const died = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.changes++;
      for (const w of [...this.waiting.values()]) w.reject(this.options.died(reason));
    };
    worker.on('error', (err) => {
      this.options.onError?.(err);
      died(err.message);
    });
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}
