/**
 * Group commit: callers submit items one at a time and each gets its own promise, while the
 * writes go to the database in batches. One flush runs at a time; whatever arrives during it
 * forms the next batch, so under load a commit carries hundreds of changes and when idle a
 * change waits only one event-loop turn.
 */
export class GroupCommit<I, O> {
  private pending: Array<{ item: I; resolve: (value: O) => void; reject: (err: unknown) => void }> = [];
  private running = false;

  constructor(
    /** Writes one batch; returns one output per input, in order. */
    private readonly flush: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves once everything submitted so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setImmediate(resolve));
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const out = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i] as O));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
  }
}
