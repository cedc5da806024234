import { randomUUID } from 'node:crypto';
import { AppError, InvalidError, UnavailableError } from '../../common/errors';
import type { ChatMessage, ChatProvider, ChatResult } from '../providers/provider-types';
import type { BudgetService } from './budget-service';
import { runCandidate, StreamInterruptedError, type AttemptDeps, type AttemptReport, type CandidateCall } from './chat-attempts';
import type { BudgetScope, Caller } from './cost-ledger';
import { BUILT_IN_PROVIDERS, type CatalogModel, type CatalogProvider } from './model-catalog';
import type { ProviderBreakers } from './provider-breakers';
import type { CallBudget, RouteDecision, RouteRequest, RoutingState, SmartRouter } from './smart-router';
import type { Strategy } from './strategies';

export interface ChatInput extends RouteRequest {
  messages: ChatMessage[];
  temperature?: number;
  /** The caller went away: the provider call is aborted. */
  signal?: AbortSignal;
}

export interface ChatAnswer {
  requestId: string;
  content: string;
  model: string;
  provider: CatalogProvider;
  providerModel: string;
  /** True when the answer comes from the built-in offline model, not a language model. */
  offline: boolean;
  finishReason: string | null;
  usage: ChatResult['usage'];
  costUsd: number;
  latencyMs: number;
  strategy: string;
  reason: string;
  fallbackUsed: boolean;
  attempts: AttemptReport[];
}

export type ChatStreamItem = { type: 'route'; model: string; provider: string; reason: string } | { type: 'delta'; text: string } | { type: 'done'; answer: ChatAnswer };

export interface MusicInput {
  strategy?: Strategy;
  /** Per-call cap (the blueprint's budget hint). */
  budget?: CallBudget;
  /** The caller went away: the generation is aborted. */
  signal?: AbortSignal;
}

/** How a routed song was made: the model that made it, why, and every attempt before it. */
export interface MusicRouting {
  requestId: string;
  model: string;
  provider: CatalogProvider;
  strategy: string;
  reason: string;
  fallbackUsed: boolean;
  costUsd: number;
  latencyMs: number;
  attempts: AttemptReport[];
}

export class BudgetExhaustedError extends AppError {
  constructor(message: string, details: unknown) {
    super(402, 'AI_BUDGET_EXHAUSTED', message, details);
  }
}

export interface AiServiceDeps extends AttemptDeps {
  router: SmartRouter;
  budgets: BudgetService;
  breakers: ProviderBreakers;
  /** Configured language-model clients by provider (the offline one always). */
  chatProviders: ReadonlyMap<CatalogProvider, ChatProvider>;
  /** Music services configured for the DAWG (their keys are read by both services). */
  musicProviders: ReadonlySet<CatalogProvider>;
  /** Most candidates one request may try, the first included. */
  maxCandidates: number;
}

/** The router as a service: decisions, calls with retries and fallback, ledger and budgets. */
export class AiService {
  constructor(private readonly deps: AiServiceDeps) {}

  get router(): SmartRouter {
    return this.deps.router;
  }

  isConfigured(provider: CatalogProvider): boolean {
    return BUILT_IN_PROVIDERS.has(provider) || this.deps.chatProviders.has(provider) || this.deps.musicProviders.has(provider);
  }

  circuitState(provider: CatalogProvider): string {
    return this.deps.breakers.state(provider).state;
  }

  /** The decision for a request, without calling anything (POST /api/v1/ai/route). */
  async route(request: RouteRequest, caller: Caller): Promise<RouteDecision> {
    return this.decide(request, caller, false);
  }

  async chat(input: ChatInput, caller: Caller): Promise<ChatAnswer> {
    const plan = await this.plan(input, caller);
    const { decision, candidates } = plan;
    const requestId = randomUUID();
    const reports: AttemptReport[] = [];
    for (const model of candidates) {
      let content = '';
      let result: ChatResult | undefined;
      const outcome = await runCandidate(this.deps, this.candidateCall(input, caller, plan, model, requestId, reports), async (request) => {
        result = await this.providerFor(model).chat(request);
        content = result.content;
        return { value: content, usage: result.usage };
      });
      if (outcome.ok) return this.answer(requestId, decision, model, result!, outcome, reports);
    }
    throw allFailed(decision, reports);
  }

  /**
   * A song from the music model the router picks (creative.generate-audio with provider
   * `auto`): the decision, then `generate` per candidate in fallback order, each attempt
   * reserved and booked in the ledger and run through its provider's circuit. Failures are not
   * retried on the same provider (a generation can take minutes and spend credits); the next
   * candidate is tried instead. `generate` throws `NotAProviderFailure` for a failure no other
   * provider would avoid, which reaches the caller as it is.
   */
  async generateMusic<T>(input: MusicInput, caller: Caller, generate: (model: CatalogModel) => Promise<T>): Promise<{ value: T; routing: MusicRouting }> {
    const scopes = await this.deps.budgets.scopesFor(caller);
    const decision = await this.decide({ taskType: 'music', strategy: input.strategy, budget: input.budget }, caller, true, scopes);
    const plan: Plan = { decision, scopes, candidates: this.candidates(decision, true) };
    const deps = { ...this.deps, policy: { ...this.deps.policy, maxRetries: 0 } };
    const requestId = randomUUID();
    const reports: AttemptReport[] = [];
    for (const model of plan.candidates) {
      const outcome = await runCandidate(deps, this.candidateCall({ messages: [], signal: input.signal }, caller, plan, model, requestId, reports), async () => ({
        value: await generate(model),
        usage: { inputTokens: 0, outputTokens: 0, estimated: false },
      }));
      if (outcome.ok) {
        const fallbackUsed = model.key !== decision.chosen?.model;
        return {
          value: outcome.value,
          routing: {
            requestId,
            model: model.key,
            provider: model.provider,
            strategy: decision.strategy,
            reason: fallbackUsed ? `fallback: ${decision.chosen?.model} failed (see attempts)` : decision.reason,
            fallbackUsed,
            costUsd: outcome.costUsd,
            latencyMs: outcome.latencyMs,
            attempts: reports,
          },
        };
      }
    }
    throw allFailed(decision, reports);
  }

  /** Like chat, streamed: falls back only until the first text has been sent. */
  async *chatStream(input: ChatInput, caller: Caller): AsyncGenerator<ChatStreamItem> {
    const plan = await this.plan(input, caller);
    const { decision, candidates } = plan;
    const requestId = randomUUID();
    const reports: AttemptReport[] = [];
    for (const model of candidates) {
      const pending: ChatStreamItem[] = [];
      let wake: (() => void) | undefined;
      let finished = false;
      const push = (item: ChatStreamItem) => {
        pending.push(item);
        wake?.();
      };
      let result: ChatResult | undefined;
      const run = runCandidate(this.deps, this.candidateCall(input, caller, plan, model, requestId, reports), async (request) => {
        let sent = false;
        try {
          for await (const event of this.providerFor(model).chatStream(request)) {
            if (event.type === 'delta') {
              if (!sent) push({ type: 'route', model: model.key, provider: model.provider, reason: model.key === decision.chosen?.model ? decision.reason : `fallback after ${reports.length} failed attempt(s)` });
              sent = true;
              push(event);
            } else result = event.result;
          }
        } catch (err) {
          throw sent ? new StreamInterruptedError(err) : err;
        }
        if (!result) throw new StreamInterruptedError(new Error('the stream ended without its final event'));
        return { value: result.content, usage: result.usage };
      }).finally(() => {
        finished = true;
        wake?.();
      });
      // Awaited after the loop; until then a rejection must not count as unhandled.
      run.catch(() => undefined);
      while (!finished || pending.length) {
        if (pending.length) yield pending.shift()!;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
      const outcome = await run;
      if (outcome.ok) {
        yield { type: 'done', answer: this.answer(requestId, decision, model, result!, outcome, reports) };
        return;
      }
    }
    throw allFailed(decision, reports);
  }

  private async decide(request: RouteRequest, caller: Caller, commit: boolean, scopes?: readonly BudgetScope[]): Promise<RouteDecision> {
    if (request.model !== undefined && !this.deps.router.catalog.has(request.model)) {
      throw new InvalidError(`Unknown model "${request.model}"`, { issues: [{ field: 'model', message: `is not in the catalog (${[...this.deps.router.catalog.keys()].join(', ')})` }] });
    }
    const state: RoutingState = {
      isConfigured: (p) => this.isConfigured(p),
      breaker: (p) => this.deps.breakers.state(p),
      budget: await this.deps.budgets.view(scopes ?? (await this.deps.budgets.scopesFor(caller))),
    };
    return this.deps.router.decide(request, state, commit);
  }

  private async plan(input: ChatInput, caller: Caller): Promise<Plan> {
    if (input.taskType === 'music') {
      throw new InvalidError('Music is generated by the creative module (creative.generate-audio), not by chat', { issues: [{ field: 'taskType', message: 'music is not a chat task type' }] });
    }
    const scopes = await this.deps.budgets.scopesFor(caller);
    const decision = await this.decide(input, caller, true, scopes);
    return { decision, scopes, candidates: this.candidates(decision, input.fallback !== false) };
  }

  /** The chosen model and, with fallback, the alternatives; a decision without one is an error. */
  private candidates(decision: RouteDecision, fallback: boolean): CatalogModel[] {
    if (!decision.chosen) {
      const details = { reason: decision.reason, rejected: decision.rejected };
      if (decision.rejected.some((r) => r.code === 'BUDGET') && decision.budget.exhausted) throw new BudgetExhaustedError(`AI budget exhausted: ${decision.reason}`, details);
      throw new UnavailableError('AI_NO_MODEL_AVAILABLE', `No model can serve this request: ${decision.reason}`, details);
    }
    const ranked = [decision.chosen, ...(fallback ? decision.alternatives : [])].slice(0, this.deps.maxCandidates);
    return ranked.map((r) => this.deps.router.catalog.get(r.model)!);
  }

  private candidateCall(input: Pick<ChatInput, 'messages' | 'temperature' | 'signal'>, caller: Caller, { decision, scopes }: Plan, model: CatalogModel, requestId: string, reports: AttemptReport[]): CandidateCall {
    const ranked = decision.chosen?.model === model.key ? decision.chosen : decision.alternatives.find((a) => a.model === model.key)!;
    return {
      model,
      request: { messages: input.messages, maxOutputTokens: ranked.maxOutputTokens, temperature: input.temperature, signal: input.signal },
      estimateUsd: ranked.estimatedCostUsd,
      info: { requestId, month: this.deps.budgets.month(), strategy: decision.strategy, taskType: decision.taskType, caller },
      scopes,
      reports,
    };
  }

  private providerFor(model: CatalogModel): ChatProvider {
    const provider = this.deps.chatProviders.get(model.provider);
    if (!provider) throw new Error(`no client for provider ${model.provider}`);
    return provider;
  }

  private answer(requestId: string, decision: RouteDecision, model: CatalogModel, result: ChatResult, outcome: { costUsd: number; latencyMs: number }, reports: AttemptReport[]): ChatAnswer {
    return {
      requestId,
      content: result.content,
      model: model.key,
      provider: model.provider,
      providerModel: result.model,
      offline: model.provider === 'offline',
      finishReason: result.finishReason,
      usage: result.usage,
      costUsd: outcome.costUsd,
      latencyMs: outcome.latencyMs,
      strategy: decision.strategy,
      reason: model.key === decision.chosen?.model ? decision.reason : `fallback: ${decision.chosen?.model} failed (see attempts)`,
      fallbackUsed: model.key !== decision.chosen?.model,
      attempts: reports,
    };
  }
}

interface Plan {
  decision: RouteDecision;
  scopes: readonly BudgetScope[];
  candidates: CatalogModel[];
}

function allFailed(decision: RouteDecision, reports: readonly AttemptReport[]): AppError {
  const retryAfterMs = reports.map((r) => r.retryAfterMs).filter((v): v is number => v !== undefined);
  const retryAfterSeconds = retryAfterMs.length ? Math.ceil(Math.min(...retryAfterMs) / 1000) : undefined;
  return new UnavailableError('AI_PROVIDERS_FAILED', `Every candidate model failed (${reports.map((r) => `${r.model}: ${r.outcome}`).join('; ')})`, { strategy: decision.strategy, attempts: reports }, { retryAfterSeconds });
}
