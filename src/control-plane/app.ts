import cors from 'cors';
import express, { type Express } from 'express';
import type { Db } from '../common/db';
import { errorMapper, notFound } from '../common/http/error.middleware';
import { requestId } from '../common/http/request-id.middleware';
import { securityHeaders } from '../common/http/security-headers.middleware';
import type { Kv, RedisClient } from '../common/kv';
import type { Logger } from '../common/logger';
import type { AgentSystem } from './agents';
import type { AuditLog } from './audit';
import { MediaLinks, type ApiKeyService } from './auth';
import type { ControlPlaneConfig } from './config';
import type { ModuleRouter } from './dawg-client';
import type { HealthService } from './health';
import type { AiRouterParts } from './ai-router';
import { mountAiRoutes } from './http/ai.routes';
import { mountChatGptOpenApiRoutes, mountChatGptRoutes } from './integrations/chatgpt';
import { mountFirewallRoutes } from './http/firewall.routes';
import type { TerminalFirewall } from './firewall';
import { mountAgentRoutes } from './http/agents.routes';
import { mountApiKeyRoutes } from './http/api-keys.routes';
import { mountAudioRoutes } from './http/audio.routes';
import { mountAnalyticsDashboardRoutes } from './http/analytics-dashboards.routes';
import { mountAuditRoutes } from './http/audit.routes';
import { mountCatalogRoutes } from './http/catalog.routes';
import { mountSuggestionRoutes } from './http/suggestions.routes';
import type { ProactiveEngine } from './proactive';
import type { CatalogService } from './catalog/catalog-service';
import { auditAuthFailures, authenticate, authenticateFromMemory } from './http/auth.middleware';
import { authenticateMediaLink, mountMediaLinkRoutes } from './http/media-links.routes';
import { mountMemoryRoutes } from './http/memory.routes';
import { mountMetricsRoutes } from './http/metrics.routes';
import type { MemoryLayer } from './memory';
import type { ClusterMetrics, Metrics } from './metrics';
import { mountExecuteRoutes } from './http/execute.routes';
import { mountHealthRoutes } from './http/health.routes';
import { mountInternalRoutes } from './http/internal.routes';
import type { JarvisSourceState } from './analytics/jarvis-source';
import { authFailureGate, rateLimits, type AuthFailureGate } from './http/rate-limit.middleware';
import { requestLog } from './http/request-log.middleware';
import { routeMounter } from './http/route-spec';
import { openApiRoute, ROUTES } from './http/route-table';
import { mountStatusRoutes } from './http/status.routes';
import { mountWorkflowRoutes } from './http/workflows.routes';
import { buildOpenApiDocument } from './openapi';
import { mountDashboardRoutes } from './web';

export interface AppDeps {
  config: ControlPlaneConfig;
  logger: Logger;
  db: Db;
  kv: Kv;
  /** Present when REDIS_URL is set: rate-limit counters are then shared between instances. */
  redis?: RedisClient;
  apiKeys: ApiKeyService;
  moduleRouter: ModuleRouter;
  health: HealthService;
  /** Absent when ENABLE_AGENT_SYSTEM=false: its routes then answer 503 FEATURE_DISABLED. */
  agents?: AgentSystem;
  /** The terminal firewall; absent when TERMINAL_FIREWALL_ENABLED=false (its routes answer 503). */
  firewall?: TerminalFirewall;
  /** The AI router: service, budgets and ledger. */
  ai?: AiRouterParts;
  /** The memory layer; absent when ENABLE_MEMORY_LAYER=false (its routes answer 503). */
  memory?: MemoryLayer;
  /** Prometheus metrics of this app (GET /metrics, admin; /internal/v1/metrics for the DAWG unless `clusterMetrics`). */
  metrics?: Metrics;
  /** Every control plane's metrics, each labelled with its instance: what /internal/v1/metrics answers the DAWG. */
  clusterMetrics?: Pick<ClusterMetrics, 'render' | 'contentType' | 'snapshots'>;
  /** Source "jarvis" of analytics.query (the DAWG asks for it on /internal/v1/analytics/query). */
  analyticsSource?: JarvisSourceState;
  /** Records API requests and authentication failures, and serves /api/v1/audit (503 FEATURE_DISABLED without it). */
  audit?: AuditLog;
  /** The music catalog (published tracks). */
  catalog: CatalogService;
  /** The proactive system; absent when PROACTIVE_ENABLED=false (its routes answer 503). */
  proactive?: ProactiveEngine;
  /** Signs and checks links that stream one audio file without a key; built from the configured tokens when absent. */
  mediaLinks?: MediaLinks;
  /** Failed authentications per address, shared with the WebSocket hub; built from config.rateLimits when absent. */
  authFailures?: AuthFailureGate;
  startedAt: number;
}

/**
 * Builds the control plane's HTTP app from its dependencies, without listening. `main.ts`
 * and the tests build it the same way.
 */
export function buildApp(deps: AppDeps): Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every JSON body for an ETag; our answers are dynamic and uncached.
  app.set('etag', false);
  app.set('trust proxy', config.http.trustProxy);

  app.use(requestId());
  if (deps.metrics) app.use(deps.metrics.middleware());
  app.use(requestLog(deps.logger, deps.audit));
  app.use(securityHeaders());
  const allowed = new Set(config.http.corsOrigins);
  app.use(cors({ origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)), maxAge: 600 }));
  const limiterDeps = { limits: config.rateLimits, redis: deps.redis, keyPrefix: config.storage.redisKeyPrefix };
  app.use(authenticateFromMemory(deps.apiKeys));
  app.use((deps.authFailures ?? authFailureGate(limiterDeps)).middleware);
  // The DAWG's calls back (service token, not an API key): before API-key authentication.
  mountInternalRoutes(app, { serviceToken: config.dawg.serviceToken, firewall: deps.firewall, audit: deps.audit, metrics: deps.clusterMetrics ?? deps.metrics, analytics: deps.analyticsSource, apiKeys: deps.apiKeys });
  app.use(authenticate(deps.apiKeys, deps.audit));
  const mediaLinks = deps.mediaLinks ?? new MediaLinks({ serviceToken: config.dawg.serviceToken, integrationToken: config.auth.integrationToken });
  app.use(authenticateMediaLink(mediaLinks, deps.apiKeys, deps.audit));
  app.use(rateLimits(limiterDeps));

  const mount = routeMounter(app, config.http.jsonBodyLimit);
  mountHealthRoutes(mount, deps);
  const openApi = buildOpenApiDocument(ROUTES, config.http.publicUrl);
  mount(openApiRoute, (_req, res) => {
    res.json(openApi);
  });
  mountStatusRoutes(mount, deps);
  mountExecuteRoutes(mount, deps);
  mountApiKeyRoutes(mount, deps);
  mountAgentRoutes(mount, { ...deps, mediaLinks });
  mountWorkflowRoutes(mount, deps);
  mountAiRoutes(mount, deps);
  mountFirewallRoutes(mount, deps);
  mountAudioRoutes(mount, { moduleRouter: deps.moduleRouter, uploadLimit: config.http.audioUploadLimit });
  mountMediaLinkRoutes(mount, { mediaLinks });
  mountAnalyticsDashboardRoutes(mount, { moduleRouter: deps.moduleRouter });
  mountCatalogRoutes(mount, { catalog: deps.catalog });
  mountSuggestionRoutes(mount, deps);
  mountAuditRoutes(mount, deps);
  mountMemoryRoutes(mount, deps);
  mountMetricsRoutes(mount, deps);
  mountChatGptOpenApiRoutes(mount, config.http.publicUrl);
  mountChatGptRoutes(mount, deps);
  mountDashboardRoutes(mount);

  app.use(notFound());
  app.use(auditAuthFailures(deps.audit));
  app.use(errorMapper(deps.logger));
  return app;
}
