import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import type { ChatProvider } from '../providers/provider-types';
import type { AiRouterConfig } from '../config';
import { AiService } from './ai-service';
import type { AttemptDeps } from './chat-attempts';
import { BudgetService } from './budget-service';
import { CostLedger } from './cost-ledger';
import { LedgerLatency } from './latency-tracker';
import { buildCatalog, type CatalogModel, type CatalogProvider } from './model-catalog';
import { ProviderBreakers } from './provider-breakers';
import { SmartRouter } from './smart-router';

export interface AiRouterParts {
  service: AiService;
  budgets: BudgetService;
  ledger: CostLedger;
  breakers: ProviderBreakers;
  /** The model catalog in force (the memory layer picks its embedding model from it). */
  catalog: ReadonlyMap<string, CatalogModel>;
  /** Refreshes the router's latency averages from the ledger (start() at start-up, stop() at shutdown). */
  latency: LedgerLatency;
}

export interface CreateAiRouterOptions {
  config: AiRouterConfig;
  db: Db;
  logger: Logger;
  chatProviders: ReadonlyMap<CatalogProvider, ChatProvider>;
  musicProviders: ReadonlySet<CatalogProvider>;
  localModel?: { model: string; contextTokens: number };
  localEmbedding?: { model: string; dimensions: number };
  clock?: () => Date;
  random?: () => number;
  /** Told of every provider attempt (the Prometheus metrics). */
  observe?: AttemptDeps['observe'];
}

/** Builds the router, ledger, budgets and breakers from config; compose.ts and the tests share it. */
export function createAiRouter(options: CreateAiRouterOptions): AiRouterParts {
  const { config, db, logger } = options;
  const catalog = buildCatalog({ file: config.catalogFile, localModel: options.localModel, localEmbedding: options.localEmbedding });
  for (const key of config.shares.keys()) {
    if (!catalog.has(key)) logger.warn('AI_ROUTER_BALANCED_SHARES names a model that is not in the catalog; it is ignored', { model: key });
  }
  const router = new SmartRouter({ catalog, defaultStrategy: config.strategy, shares: config.shares });
  const ledger = new CostLedger(db);
  const budgets = new BudgetService(db, ledger, config.monthlyBudgetUsd, logger, options.clock);
  const breakers = new ProviderBreakers({ cooldownMs: config.breakerCooldownMs, errorThresholdPercentage: 50, minimumCalls: 3, windowMs: 30_000 }, logger);
  const service = new AiService({
    router,
    ledger,
    budgets,
    breakers,
    chatProviders: options.chatProviders,
    musicProviders: options.musicProviders,
    maxCandidates: config.maxCandidates,
    random: options.random ?? Math.random,
    ...(options.observe ? { observe: options.observe } : {}),
    policy: {
      maxRetries: config.maxRetries,
      baseDelayMs: config.retryBaseMs,
      maxDelayMs: config.retryMaxMs,
      maxRetryAfterMs: config.maxRetryAfterMs,
      timeoutMs: config.timeoutMs,
    },
  });
  const latency = new LedgerLatency(db, router.latency, [...catalog.keys()], logger);
  return { service, budgets, ledger, breakers, catalog, latency };
}
