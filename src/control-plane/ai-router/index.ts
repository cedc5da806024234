export { AiService, BudgetExhaustedError, type AiServiceDeps, type ChatAnswer, type ChatInput, type ChatStreamItem, type MusicInput, type MusicRouting } from './ai-service';
export { ModuleDispatcher, type ModuleCaller } from './music-dispatch';
export { BudgetService, SOFT_ALERT_RATIO, utcMonth, type AiCallRecorded, type AiRouterEvents, type BudgetAlert, type ScopeStatus } from './budget-service';
export { backoffMs, type AttemptReport, type RetryPolicy } from './chat-attempts';
export { COST_GROUPINGS, CostLedger, type BudgetScope, type Caller, type CostGrouping, type CostReportRow } from './cost-ledger';
export { LatencyTracker, LedgerLatency } from './latency-tracker';
export {
  BUILT_IN_PROVIDERS,
  buildCatalog,
  CAPABILITY_CLASSES,
  classOfTask,
  costOf,
  DEFAULT_MODELS,
  isFree,
  TASK_TYPES,
  type CapabilityClass,
  type CatalogModel,
  type CatalogOptions,
  type CatalogProvider,
  type TaskType,
} from './model-catalog';
export { CircuitOpenError, ProviderBreakers, type BreakerOptions } from './provider-breakers';
export { CALL_BUDGET_CAP_USD, DEFAULT_MAX_OUTPUT_TOKENS, SmartRouter, type BudgetView, type RankedModel, type RejectedModel, type RouteDecision, type RouteRequest, type RoutingState } from './smart-router';
export { parseShares, rankCandidates, STRATEGIES, WeightedRoundRobin, type Strategy } from './strategies';
export { estimatePromptTokens } from './token-estimate';
export { createAiRouter, type AiRouterParts, type CreateAiRouterOptions } from './create-ai-router';
