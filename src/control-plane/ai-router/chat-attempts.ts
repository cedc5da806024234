import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../common/errors';
import { ProviderError, type ChatRequest, type TokenUsage } from '../providers/provider-types';
import type { BudgetService } from './budget-service';
import type { AttemptInfo, BudgetScope, CostLedger } from './cost-ledger';
import { costOf, type CatalogModel } from './model-catalog';
import { CircuitOpenError, NotAProviderFailure, type ProviderBreakers } from './provider-breakers';
import type { SmartRouter } from './smart-router';

export interface RetryPolicy {
  /** Retries of one candidate after its first attempt, for retryable failures only. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this moves on to the next candidate instead of waiting. */
  maxRetryAfterMs: number;
  /** Per-attempt timeout passed to the provider client. */
  timeoutMs: number;
}

/** One attempt as the caller sees it in the answer (never a key or a raw provider body). */
export interface AttemptReport {
  model: string;
  provider: string;
  attempt: number;
  outcome: string;
  status?: number;
  message?: string;
  latencyMs?: number;
  retryAfterMs?: number;
}

export interface AttemptDeps {
  router: SmartRouter;
  ledger: CostLedger;
  budgets: BudgetService;
  breakers: ProviderBreakers;
  policy: RetryPolicy;
  random: () => number;
  /** Told of every attempt as it ends (the Prometheus metrics). */
  observe?: (attempt: { provider: string; model: string; outcome: string; latencyMs?: number; costUsd?: number; inputTokens?: number; outputTokens?: number }) => void;
}

export interface CandidateCall {
  model: CatalogModel;
  request: Omit<ChatRequest, 'model' | 'timeoutMs'>;
  /** The call's upper-bound cost from the routing decision: what each attempt reserves. */
  estimateUsd: number;
  info: Omit<AttemptInfo, 'attempt' | 'provider' | 'modelKey' | 'model'>;
  scopes: readonly BudgetScope[];
  /** Attempts so far over all candidates; this call appends its own. */
  reports: AttemptReport[];
}

export type CandidateOutcome<T> = { ok: true; value: T; costUsd: number; latencyMs: number } | { ok: false };

/** Full-jitter exponential backoff: uniform in [0, min(max, base·2^(n−1))]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
}

/**
 * Runs one candidate model with bounded retries: each attempt reserves its upper-bound cost,
 * goes through the provider's circuit, and books its real outcome in the ledger. Resolves
 * `{ok: false}` when the router should fall back to the next candidate; rejects when the
 * caller aborted, and with the wrapped error of a `NotAProviderFailure` (a failure no other
 * candidate would avoid).
 */
export async function runCandidate<T>(
  deps: AttemptDeps,
  call: CandidateCall,
  invoke: (request: ChatRequest) => Promise<{ value: T; usage: TokenUsage }>,
): Promise<CandidateOutcome<T>> {
  const { model } = call;
  for (let attempt = 1; attempt <= deps.policy.maxRetries + 1; attempt++) {
    const info: AttemptInfo = { ...call.info, attempt: call.reports.length + 1, provider: model.provider, modelKey: model.key, model: model.model };
    const report = (r: Omit<AttemptReport, 'model' | 'provider' | 'attempt'>, usage?: { costUsd: number; inputTokens: number; outputTokens: number }) => {
      call.reports.push({ model: model.key, provider: model.provider, attempt: info.attempt, ...r });
      deps.observe?.({ provider: model.provider, model: model.key, outcome: r.outcome, ...(r.latencyMs === undefined ? {} : { latencyMs: r.latencyMs }), ...usage });
    };
    if (deps.breakers.state(model.provider).state === 'open') {
      report({ outcome: 'circuit_open', message: `provider ${model.provider}'s circuit is open` });
      return { ok: false };
    }
    const { estimateUsd } = call;
    const reservation = await deps.ledger.reserve(info, call.scopes, estimateUsd);
    if (!reservation.ok) {
      report({ outcome: 'budget', message: `may cost up to $${estimateUsd.toFixed(6)}; $${reservation.remainingUsd.toFixed(6)} left in ${reservation.scope}` });
      return { ok: false };
    }
    const started = performance.now();
    try {
      const { value, usage } = await deps.breakers.fire(model.provider, () => invoke({ ...call.request, model: model.model, timeoutMs: deps.policy.timeoutMs }));
      const latencyMs = Math.round(performance.now() - started);
      deps.router.latency.observe(model.key, latencyMs);
      const costUsd = costOf(model, usage.inputTokens, usage.outputTokens);
      const rows = await deps.ledger.settle(info, call.scopes, { entryId: reservation.entryId, estimateUsd }, {
        outcome: 'ok', inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, tokensEstimated: usage.estimated, costUsd, latencyMs,
      });
      await deps.budgets.checkAlerts(call.scopes, rows);
      deps.budgets.announceCall(info, call.scopes, rows, costUsd);
      report({ outcome: 'ok', latencyMs }, { costUsd, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens });
      return { ok: true, value, costUsd, latencyMs };
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      const failure = describeFailure(err);
      await deps.ledger.settle(info, call.scopes, { entryId: reservation.entryId, estimateUsd }, {
        outcome: failure.outcome, inputTokens: 0, outputTokens: 0, tokensEstimated: false, costUsd: 0, latencyMs, errorMessage: failure.message,
      });
      if (err instanceof NotAProviderFailure || failure.outcome === 'aborted' || failure.outcome === 'stream_interrupted') {
        deps.observe?.({ provider: model.provider, model: model.key, outcome: failure.outcome, latencyMs });
        throw err instanceof NotAProviderFailure ? err.error : err;
      }
      report({ outcome: failure.outcome, status: failure.status, message: failure.message, latencyMs, retryAfterMs: failure.retryAfterMs });
      if (!failure.retryable || attempt > deps.policy.maxRetries) return { ok: false };
      const wait = failure.retryAfterMs ?? backoffMs(attempt, deps.policy, deps.random);
      if (wait > deps.policy.maxRetryAfterMs) return { ok: false };
      await sleep(wait, undefined, { signal: call.request.signal });
    }
  }
  return { ok: false };
}

function describeFailure(err: unknown): { outcome: string; retryable: boolean; message: string; status?: number; retryAfterMs?: number } {
  if (err instanceof ProviderError) return { outcome: err.kind, retryable: err.retryable, message: err.message, status: err.status, retryAfterMs: err.retryAfterMs };
  if (err instanceof StreamInterruptedError) return { outcome: 'stream_interrupted', retryable: false, message: err.message };
  if (err instanceof NotAProviderFailure) return { outcome: err.outcome, retryable: false, message: err.message };
  if (err instanceof CircuitOpenError) return { outcome: 'circuit_open', retryable: false, message: err.message };
  if ((err as { name?: string }).name === 'AbortError') return { outcome: 'aborted', retryable: false, message: 'aborted by the caller' };
  // A client bug or an unexpected answer: not retried, but the next candidate may still serve.
  return { outcome: 'internal', retryable: false, message: err instanceof Error ? err.message : String(err) };
}

/** A stream failed after text reached the caller: it cannot fall back without repeating itself. */
export class StreamInterruptedError extends AppError {
  constructor(cause: unknown) {
    super(502, 'AI_STREAM_INTERRUPTED', `The provider's stream broke off after text was sent: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
  }
}
