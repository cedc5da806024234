import { AppError, NotImplementedError } from '../../common/errors';
import type { ExecuteRequest, ExecuteResponse } from '../../common/protocol';
import { parseInput } from '../../common/validation';
import { generateAudioParams } from '../../dawg/action-schemas';
import type { CallOptions } from '../dawg-client';
import { ProviderError, type ProviderErrorKind } from '../providers/provider-types';
import type { AiService } from './ai-service';
import type { Caller } from './cost-ledger';
import type { CatalogModel, CatalogProvider } from './model-catalog';
import { NotAProviderFailure } from './provider-breakers';

/** What sends module calls to the AI DAWG (the ModuleRouter). */
export interface ModuleCaller {
  execute(request: ExecuteRequest, options?: CallOptions): Promise<ExecuteResponse>;
}

/** The AI DAWG's `provider` for each music provider of the catalog. */
const DAWG_PROVIDER: Partial<Record<CatalogProvider, 'local' | 'suno' | 'udio'>> = { suno: 'suno', udio: 'udio', procedural: 'local' };

/** The DAWG's error codes for a song provider's failures, as the router's failure kinds. */
const PROVIDER_FAILURES: Readonly<Record<string, ProviderErrorKind>> = {
  PROVIDER_RATE_LIMITED: 'rate_limited',
  PROVIDER_UNAVAILABLE: 'server',
  PROVIDER_TIMEOUT: 'timeout',
  PROVIDER_FAILED: 'server',
  PROVIDER_BAD_RESPONSE: 'bad_response',
  PROVIDER_AUTH_FAILED: 'auth',
  // The control plane has the key but the AI DAWG does not (their environments differ).
  PROVIDER_NOT_CONFIGURED: 'auth',
};

const HTTP_STATUS: Partial<Record<ProviderErrorKind, number>> = { rate_limited: 429, auth: 401 };

/** Whether the call asks the AI router to choose who makes the song. */
function routesMusic(request: ExecuteRequest): boolean {
  const { params } = request;
  return request.module === 'creative' && request.action === 'generate-audio' && typeof params === 'object' && params !== null && (params as { provider?: unknown }).provider === 'auto';
}

/**
 * Module calls as every client makes them (the execute route, agents, ChatGPT Actions):
 * `creative.generate-audio` with provider `auto` is routed by the AI router (decision,
 * ledger, budgets, per-provider circuits, fallback to the next music model); every other call
 * goes straight to the AI DAWG.
 */
export class ModuleDispatcher {
  constructor(
    private readonly modules: ModuleCaller,
    private readonly ai: Pick<AiService, 'generateMusic'> | undefined,
  ) {}

  async execute(request: ExecuteRequest, options: CallOptions, caller: Caller): Promise<ExecuteResponse> {
    if (!routesMusic(request)) return this.modules.execute(request, options);
    // Invalid params are the caller's to fix: named before anything is routed, reserved or counted.
    const { strategy, budget } = parseInput(generateAudioParams, request.params, 'body.params');
    if (!this.ai) throw new NotImplementedError('Provider auto needs the AI router, which is not available in this process: name local, suno or udio', { field: 'params.provider' });
    const { strategy: _s, budget: _b, ...params } = request.params as Record<string, unknown>;
    const { value, routing } = await this.ai.generateMusic({ strategy, budget, signal: options.signal }, caller, async (model) => {
      const provider = dawgProviderOf(model);
      try {
        return await this.modules.execute({ ...request, params: { ...params, provider } }, options);
      } catch (err) {
        throw asRoutingFailure(err, model, options.signal);
      }
    });
    const result = typeof value.result === 'object' && value.result !== null ? value.result : { value: value.result };
    return { ...value, result: { ...result, routing } };
  }
}

function dawgProviderOf(model: CatalogModel): 'local' | 'suno' | 'udio' {
  const provider = DAWG_PROVIDER[model.provider];
  // A catalog file may name a music model of a provider the AI DAWG does not have: the next one serves.
  if (!provider) throw new ProviderError(model.provider, 'bad_request', `the AI DAWG has no song provider for catalog provider ${model.provider} (model ${model.key})`);
  return provider;
}

/**
 * A failed generation as the router needs it: the song provider's own failures (reported by
 * the AI DAWG with their codes) count against that provider and fall back; anything else (the
 * DAWG down, a rejected request, the caller gone) goes to the caller as it is.
 */
function asRoutingFailure(err: unknown, model: CatalogModel, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return new NotAProviderFailure(err, 'aborted');
  if (!(err instanceof AppError)) return new NotAProviderFailure(err, 'internal');
  // A song provider's 502 reaches the control plane as DAWG_ERROR naming the DAWG's own code.
  const code = err.code === 'DAWG_ERROR' ? String((err.details as { upstreamCode?: unknown } | undefined)?.upstreamCode ?? '') : err.code;
  const kind = PROVIDER_FAILURES[code];
  if (!kind) return new NotAProviderFailure(err, code ? code.toLowerCase() : 'dawg_error');
  const retryAfterMs = err.retryAfterSeconds === undefined ? undefined : err.retryAfterSeconds * 1000;
  return new ProviderError(model.provider, kind, err.message, { status: HTTP_STATUS[kind] ?? err.status, retryAfterMs, providerCode: code }, { cause: err });
}
