/**
 * Per-model latency as an exponential moving average of real calls, seeded with the catalog's
 * prior so a model never called yet still ranks by what its provider advertises.
 */
export class LatencyTracker {
  private readonly averages = new Map<string, { ms: number; samples: number }>();

  constructor(
    private readonly prior: (modelKey: string) => number,
    /** Weight of the newest call; 0.2 follows a shift within about ten calls. */
    private readonly alpha = 0.2,
  ) {}

  observe(modelKey: string, ms: number): void {
    const current = this.averages.get(modelKey);
    if (!current) {
      this.averages.set(modelKey, { ms, samples: 1 });
      return;
    }
    current.ms += this.alpha * (ms - current.ms);
    current.samples++;
  }

  latencyMs(modelKey: string): number {
    return this.averages.get(modelKey)?.ms ?? this.prior(modelKey);
  }

  samples(modelKey: string): number {
    return this.averages.get(modelKey)?.samples ?? 0;
  }
}
