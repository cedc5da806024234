/**
 * Group commit: callers submit items one at a time and each gets its own promise, while the
 * writes go to the database in batches. Up to `maxInFlight` flushes run at once; whatever
 * arrives meanwhile forms the next batch, so under load a commit carries many changes and
 * when idle a change waits only one event-loop turn. When a batch fails because of one
 * item's data (`splitOnError`), its items are tried again one by one, so only that item fails.
 */
export class GroupCommit<I, O> {
  private pending: Array<{ item: I; resolve: (value: O) => void; reject: (err: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly splitOnError: (err: unknown) => boolean;

  constructor(
    /** Writes one batch; returns one output per input, in order. */
    private readonly flush: (items: I[]) => Promise<O[]>,
    options: {
      maxBatch?: number;
      /** Batches written at once (default 1). */
      maxInFlight?: number;
      /** When a failed batch is retried item by item (default: never; e.g. only for errors caused by an item's data). */
      splitOnError?: (err: unknown) => boolean;
    } = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.splitOnError = options.splitOnError ?? (() => false);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.inFlight > 0 || this.scheduled || this.pending.length) await new Promise((resolve) => setImmediate(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || !this.pending.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || !this.pending.length) return;
    const batch = this.pending.splice(0, this.maxBatch);
    this.inFlight += 1;
    try {
      const out = await this.flush(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i] as O));
    } catch (err) {
      if (batch.length === 1 || !this.splitOnError(err)) for (const b of batch) b.reject(err);
      // One bad item must not fail the others: each is tried again on its own.
      else for (const b of batch) await this.flush([b.item]).then((out) => b.resolve(out[0] as O), b.reject);
    } finally {
      this.inFlight -= 1;
      this.schedule();
    }
  }
}
