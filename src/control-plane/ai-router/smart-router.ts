import type { CallBudget } from '../../common/ai-routing';
import type { ChatMessage } from '../providers/provider-types';
import { LatencyTracker } from './latency-tracker';
import { BUILT_IN_PROVIDERS, classOfTask, costOf, isFree, type CapabilityClass, type CatalogModel, type CatalogProvider, type TaskType } from './model-catalog';
import { lossReason, rankCandidates, WeightedRoundRobin, type Candidate, type Strategy } from './strategies';
import { estimatePromptTokens } from './token-estimate';

/** The blueprint's per-call budget hint, as a cap on one call's cost in USD. */
export const CALL_BUDGET_CAP_USD: Readonly<Record<CallBudget, number>> = { low: 0, medium: 0.01, high: 0.1, unlimited: Infinity };
export type { CallBudget };

/** Output allowance when the request names none (clamped to each model's own maximum). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1_024;

export interface RouteRequest {
  taskType: TaskType;
  strategy?: Strategy;
  messages?: readonly ChatMessage[];
  /** Instead of messages, for a dry run: the prompt's size in tokens. */
  promptTokens?: number;
  maxOutputTokens?: number;
  /** Strengths every candidate must have (e.g. `vocals`). */
  requiredCapabilities?: readonly string[];
  budget?: CallBudget;
  /** A catalog key to use first; the others stay as fallbacks. */
  model?: string;
  /** Whether other models may serve when the first choice cannot (default true). */
  fallback?: boolean;
}

/** The spend a call may still use, from the budget service. */
export interface BudgetView {
  /** USD left this month in the tightest scope (global or the caller's key); null = no limit. */
  remainingUsd: number | null;
  exhausted: boolean;
  scope: string;
}

export type BreakerState = { state: 'closed' } | { state: 'half-open' } | { state: 'open'; retryAt: number };

/** Live facts the decision depends on, injected so decisions are testable without providers. */
export interface RoutingState {
  isConfigured(provider: CatalogProvider): boolean;
  breaker(provider: CatalogProvider): BreakerState;
  budget: BudgetView;
}

export interface RankedModel {
  model: string;
  provider: CatalogProvider;
  providerModel: string;
  rank: number;
  estimatedCostUsd: number;
  latencyMs: number;
  quality: number;
  maxOutputTokens: number;
  reason: string;
}

export interface RejectedModel {
  model: string;
  provider: CatalogProvider;
  code: 'NOT_CONFIGURED' | 'CIRCUIT_OPEN' | 'WRONG_TASK_TYPE' | 'MISSING_CAPABILITY' | 'CONTEXT_TOO_SMALL' | 'OUTPUT_TOO_SMALL' | 'BUDGET' | 'OFFLINE_NOT_DEFAULT';
  reason: string;
}

export interface RouteDecision {
  strategy: Strategy;
  taskType: TaskType;
  capabilityClass: CapabilityClass;
  promptTokens: number;
  chosen: RankedModel | null;
  /** Why the chosen model won, or why nothing could be chosen. */
  reason: string;
  /** Eligible models after the chosen one, in fallback order, each with why it lost. */
  alternatives: RankedModel[];
  rejected: RejectedModel[];
  budget: BudgetView;
}

export interface SmartRouterOptions {
  catalog: ReadonlyMap<string, CatalogModel>;
  defaultStrategy: Strategy;
  /** Balanced strategy's shares by model key (v1: gemini-pro 70, gpt-4o-mini 20, claude-sonnet-4.5 10). */
  shares: ReadonlyMap<string, number>;
}

/**
 * SmartAIRouterV2 without dice: filters the catalog to models that can serve this request
 * right now, ranks them by the strategy, and explains both. Deterministic for the same state;
 * only the balanced strategy's round-robin moves between calls (and not on dry runs).
 */
export class SmartRouter {
  readonly latency: LatencyTracker;
  private readonly roundRobin: WeightedRoundRobin;

  constructor(private readonly options: SmartRouterOptions) {
    this.latency = new LatencyTracker((key) => options.catalog.get(key)?.latencyMs ?? 1_000);
    this.roundRobin = new WeightedRoundRobin(options.shares);
  }

  get catalog(): ReadonlyMap<string, CatalogModel> {
    return this.options.catalog;
  }

  /** The model's balanced-strategy weight, if it has one. */
  shareOf(modelKey: string): number | null {
    return this.roundRobin.weightOf(modelKey) ?? null;
  }

  get defaultStrategy(): Strategy {
    return this.options.defaultStrategy;
  }

  /** `commit: false` for dry runs: the balanced round-robin does not advance. */
  decide(request: RouteRequest, state: RoutingState, commit = true): RouteDecision {
    const strategy = request.strategy ?? this.options.defaultStrategy;
    const capabilityClass = classOfTask(request.taskType);
    const promptTokens = request.promptTokens ?? estimatePromptTokens(request.messages ?? []);
    const rejected: RejectedModel[] = [];
    const candidates: Candidate[] = [];
    const outputs = new Map<string, number>();
    const ofClass = [...this.options.catalog.values()].filter((m) => m.capabilityClass === capabilityClass);
    const anyConfigured = ofClass.some((m) => !BUILT_IN_PROVIDERS.has(m.provider) && state.isConfigured(m.provider));
    for (const model of ofClass) {
      const reject = (code: RejectedModel['code'], reason: string) => rejected.push({ model: model.key, provider: model.provider, code, reason });
      const output = Math.min(request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, model.maxOutputTokens);
      const cost = costOf(model, promptTokens, output);
      const failure = this.filter(model, request, state, { promptTokens, output, cost, anyConfigured });
      if (failure) reject(failure.code, failure.reason);
      else {
        candidates.push({ model, estimatedCostUsd: cost, latencyMs: this.latency.latencyMs(model.key) });
        outputs.set(model.key, output);
      }
    }
    const base = { strategy, taskType: request.taskType, capabilityClass, promptTokens, rejected, budget: state.budget };
    if (candidates.length === 0) {
      return { ...base, chosen: null, alternatives: [], reason: noCandidateReason(rejected, state.budget) };
    }
    const ranked = rankCandidates(strategy, candidates);
    let first = ranked[0]!;
    let reason = winReason(strategy, first, ranked.length);
    const pinned = request.model ? ranked.find((c) => c.model.key === request.model) : undefined;
    let unavailable = '';
    if (request.model && !pinned) {
      const why = rejected.find((r) => r.model === request.model)?.reason ?? 'it does not serve this capability class';
      if (request.fallback === false) return { ...base, chosen: null, alternatives: [], reason: `the requested model ${request.model} cannot serve this request: ${why}` };
      unavailable = `the requested model ${request.model} cannot serve this request (${why}); `;
    }
    if (pinned) {
      first = pinned;
      reason = 'requested explicitly (model)';
    } else if (strategy === 'balanced') {
      const pick = this.roundRobin.next(ranked.map((c) => c.model.key), commit);
      if (pick) {
        first = ranked.find((c) => c.model.key === pick)!;
        const eligibleShares = ranked.map((c) => this.roundRobin.weightOf(c.model.key) ?? 0).reduce((a, b) => a + b, 0);
        const share = (100 * this.roundRobin.weightOf(pick)!) / eligibleShares;
        reason = `balanced round-robin: its turn at a ${share.toFixed(0)} % share among the eligible models with shares`;
      }
    }
    reason = unavailable + reason;
    const rest = ranked.filter((c) => c !== first);
    const toRanked = (c: Candidate, rank: number, why: string): RankedModel => ({
      model: c.model.key,
      provider: c.model.provider,
      providerModel: c.model.model,
      rank,
      estimatedCostUsd: c.estimatedCostUsd,
      latencyMs: Math.round(c.latencyMs),
      quality: c.model.quality,
      maxOutputTokens: outputs.get(c.model.key)!,
      reason: why,
    });
    return {
      ...base,
      chosen: toRanked(first, 1, reason),
      reason,
      alternatives: rest.map((c, i) => toRanked(c, i + 2, pinned || strategy === 'balanced' ? `fallback ${i + 1}: ${lossReason(strategy, first, c)}` : lossReason(strategy, first, c))),
    };
  }

  private filter(
    model: CatalogModel,
    request: RouteRequest,
    state: RoutingState,
    c: { promptTokens: number; output: number; cost: number; anyConfigured: boolean },
  ): { code: RejectedModel['code']; reason: string } | undefined {
    if (BUILT_IN_PROVIDERS.has(model.provider)) {
      if (c.anyConfigured && request.model !== model.key) {
        return { code: 'OFFLINE_NOT_DEFAULT', reason: `built-in ${model.provider} model: the default only when no provider of its class is configured (ask for it with model: "${model.key}")` };
      }
    } else if (!state.isConfigured(model.provider)) {
      return { code: 'NOT_CONFIGURED', reason: `provider ${model.provider} is not configured (no API key / URL)` };
    }
    const breaker = state.breaker(model.provider);
    if (breaker.state === 'open') {
      return { code: 'CIRCUIT_OPEN', reason: `provider ${model.provider}'s circuit is open after recent failures; next probe at ${new Date(breaker.retryAt).toISOString()}` };
    }
    if (!model.taskTypes.includes(request.taskType)) {
      return { code: 'WRONG_TASK_TYPE', reason: `does not serve taskType ${request.taskType} (serves ${model.taskTypes.join(', ') || 'none'})` };
    }
    const missing = (request.requiredCapabilities ?? []).filter((s) => !model.strengths.includes(s));
    if (missing.length) return { code: 'MISSING_CAPABILITY', reason: `lacks required capabilities: ${missing.join(', ')}` };
    if (request.maxOutputTokens !== undefined && request.maxOutputTokens > model.maxOutputTokens) {
      return { code: 'OUTPUT_TOO_SMALL', reason: `writes at most ${model.maxOutputTokens} tokens; ${request.maxOutputTokens} requested` };
    }
    if (c.promptTokens + c.output > model.contextTokens) {
      return { code: 'CONTEXT_TOO_SMALL', reason: `context of ${model.contextTokens} tokens < prompt ≈${c.promptTokens} + output ${c.output}` };
    }
    return this.budgetFilter(model, request, state.budget, c.cost);
  }

  private budgetFilter(model: CatalogModel, request: RouteRequest, budget: BudgetView, cost: number): { code: 'BUDGET'; reason: string } | undefined {
    if (isFree(model)) return undefined;
    if (budget.exhausted) return { code: 'BUDGET', reason: `the ${budget.scope} monthly budget is used up: only zero-cost models are routed` };
    if (budget.remainingUsd !== null && cost > budget.remainingUsd) {
      return { code: 'BUDGET', reason: `may cost up to $${cost.toFixed(6)}; $${budget.remainingUsd.toFixed(6)} left in the ${budget.scope} budget this month` };
    }
    const cap = CALL_BUDGET_CAP_USD[request.budget ?? 'unlimited'];
    if (cost > cap) return { code: 'BUDGET', reason: `may cost up to $${cost.toFixed(6)}, over the ${request.budget} per-call cap of $${cap}` };
    return undefined;
  }
}

function winReason(strategy: Strategy, chosen: Candidate, count: number): string {
  const of = count > 1 ? ` of ${count} eligible models` : ' (the only eligible model)';
  switch (strategy) {
    case 'cost-optimized':
      return `cheapest${of}: up to $${chosen.estimatedCostUsd.toFixed(6)} for this call`;
    case 'speed-optimized':
      return `fastest${of}: ${Math.round(chosen.latencyMs)} ms measured average`;
    case 'quality-optimized':
      return `highest quality${of}: ${chosen.model.quality}`;
    case 'balanced':
      return `best balance of quality, speed and cost${of}`;
  }
}

function noCandidateReason(rejected: readonly RejectedModel[], budget: BudgetView): string {
  if (budget.exhausted && rejected.some((r) => r.code === 'BUDGET')) return `the ${budget.scope} monthly budget is used up and no zero-cost model can serve this request`;
  if (rejected.length && rejected.every((r) => r.code === 'WRONG_TASK_TYPE' || r.code === 'NOT_CONFIGURED' || r.code === 'OFFLINE_NOT_DEFAULT')) {
    return 'no configured model serves this task type';
  }
  return 'no model can serve this request now: every candidate was filtered out (see rejected)';
}
