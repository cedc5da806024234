import CircuitBreaker from 'opossum';
import type { Logger } from '../../common/logger';
import { ProviderError } from '../providers/provider-types';
import type { BreakerState } from './smart-router';

export interface BreakerOptions {
  /** How long an open circuit refuses calls before one half-open probe. */
  cooldownMs: number;
  /** Failures (share of calls in the window, at least `minimumCalls`) that open the circuit. */
  errorThresholdPercentage: number;
  minimumCalls: number;
  windowMs: number;
}

/**
 * A call that failed for a reason other than the provider's health (the AI DAWG between us and
 * the provider is down, the request is invalid, the caller went away): the circuit does not
 * count it, and the router gives the wrapped error to the caller instead of falling back.
 */
export class NotAProviderFailure extends Error {
  constructor(
    readonly error: unknown,
    /** The ledger's outcome for the attempt. */
    readonly outcome: string,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'NotAProviderFailure';
  }
}

/** Only the provider's own health counts: a bad request or a caller's abort says nothing about it. */
const countsAsFailure = (err: unknown) => !(err instanceof NotAProviderFailure) && (!(err instanceof ProviderError) || !['bad_request', 'aborted'].includes(err.kind));

/**
 * One opossum circuit per provider. Open: the router filters the provider out and says until
 * when; after the cooldown opossum lets exactly one call through (half-open) and closes on its
 * success or re-opens on its failure.
 */
export class ProviderBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<[() => Promise<unknown>], unknown>>();
  private readonly openedAt = new Map<string, number>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly logger: Logger,
  ) {}

  state(provider: string): BreakerState {
    const breaker = this.breakers.get(provider);
    if (!breaker || breaker.closed) return { state: 'closed' };
    if (breaker.halfOpen) return breaker.pendingClose ? { state: 'half-open' } : { state: 'open', retryAt: Date.now() };
    return { state: 'open', retryAt: (this.openedAt.get(provider) ?? Date.now()) + this.options.cooldownMs };
  }

  /** Every provider called since start, with its circuit's state (the Prometheus gauge). */
  *states(): Iterable<[provider: string, state: BreakerState['state']]> {
    for (const provider of this.breakers.keys()) yield [provider, this.state(provider).state];
  }

  /** Providers whose circuit is open now, since when and when it lets a probe through (the proactive system's signal). */
  openProviders(): Array<{ provider: string; openedAt: number; retryAt: number }> {
    const open: Array<{ provider: string; openedAt: number; retryAt: number }> = [];
    for (const provider of this.breakers.keys()) {
      const s = this.state(provider);
      if (s.state === 'open') open.push({ provider, openedAt: this.openedAt.get(provider) ?? s.retryAt - this.options.cooldownMs, retryAt: s.retryAt });
    }
    return open;
  }

  /** Runs `call` through the provider's circuit; rejects with `CircuitOpenError` when it is open. */
  async fire<T>(provider: string, call: () => Promise<T>): Promise<T> {
    try {
      return (await this.breakerFor(provider).fire(call)) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') throw new CircuitOpenError(provider);
      throw err;
    }
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breakerFor(provider: string): CircuitBreaker<[() => Promise<unknown>], unknown> {
    let breaker = this.breakers.get(provider);
    if (breaker) return breaker;
    breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      timeout: false,
      resetTimeout: this.options.cooldownMs,
      errorThresholdPercentage: this.options.errorThresholdPercentage,
      volumeThreshold: this.options.minimumCalls,
      rollingCountTimeout: this.options.windowMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (err: unknown) => !countsAsFailure(err),
    });
    breaker.on('open', () => {
      this.openedAt.set(provider, Date.now());
      this.logger.warn('AI provider circuit opened', { provider, cooldownMs: this.options.cooldownMs });
    });
    breaker.on('close', () => this.logger.info('AI provider circuit closed', { provider }));
    this.breakers.set(provider, breaker);
    return breaker;
  }
}

export class CircuitOpenError extends Error {
  constructor(readonly provider: string) {
    super(`provider ${provider}'s circuit is open`);
    this.name = 'CircuitOpenError';
  }
}
