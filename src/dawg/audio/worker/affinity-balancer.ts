import Piscina from 'piscina';

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;
type BalancedTask = Parameters<Balancer>[0];
type BalancedWorker = Parameters<Balancer>[1][number];

/** What a task tells the balancer (under Piscina.queueOptionsSymbol): the key of the work it continues. */
export interface AffinityOptions {
  affinity?: string;
}

export interface AffinityBalancerOptions {
  /** Keys remembered at most (least recently used dropped first). Default 256. */
  maxKeys?: number;
  /** A key unused this long no longer counts as a worker's (the render cache's idle time). Default 5 min. */
  activeMs?: number;
  now?: () => number;
}

/**
 * Piscina's load balancer for the audio workers: the render cache is per worker thread, so a
 * project's next render is fastest on the worker that rendered it last. A task carrying an
 * affinity key (the project id) goes to that worker when it is idle; otherwise to the idle
 * worker holding the fewest recently used keys (so projects spread over the workers), which
 * then becomes the key's worker. Like piscina's own balancer with abortable tasks, it only
 * hands a task to an idle worker and never holds one back while a worker is idle: affinity
 * chooses among idle workers, it never makes a task wait.
 */
export class AffinityBalancer {
  private readonly owners = new Map<string, { worker: number; usedAt: number }>();
  private readonly maxKeys: number;
  private readonly activeMs: number;
  private readonly now: () => number;

  constructor(options: AffinityBalancerOptions = {}) {
    this.maxKeys = options.maxKeys ?? 256;
    this.activeMs = options.activeMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** For piscina's `loadBalancer` option. */
  readonly balance: Balancer = (task, workers) => {
    const idle = workers.filter((w) => w.currentUsage === 0 && !w.terminating && !w.destroyed);
    if (idle.length === 0) return null;
    const key = affinityOf(task);
    if (key === undefined) return this.leastClaimed(idle);
    const owner = this.owners.get(key)?.worker;
    const chosen = idle.find((w) => w.id === owner) ?? this.leastClaimed(idle);
    // Re-inserted: the map's order is the order of last use.
    this.owners.delete(key);
    this.owners.set(key, { worker: chosen.id, usedAt: this.now() });
    if (this.owners.size > this.maxKeys) this.owners.delete(this.owners.keys().next().value!);
    return chosen;
  };

  /** The worker a key was last given to (undefined: none remembered). */
  workerOf(key: string): number | undefined {
    return this.owners.get(key)?.worker;
  }

  private leastClaimed(idle: readonly BalancedWorker[]): BalancedWorker {
    const since = this.now() - this.activeMs;
    const claims = new Map<number, number>();
    for (const { worker, usedAt } of this.owners.values()) if (usedAt >= since) claims.set(worker, (claims.get(worker) ?? 0) + 1);
    let best = idle[0]!;
    for (const w of idle) if ((claims.get(w.id) ?? 0) < (claims.get(best.id) ?? 0)) best = w;
    return best;
  }
}

function affinityOf(task: BalancedTask): string | undefined {
  const options = (task as unknown as Record<symbol, AffinityOptions | null | undefined>)[Piscina.queueOptionsSymbol];
  return typeof options?.affinity === 'string' ? options.affinity : undefined;
}
