import { chatGptActionRoutes, chatGptOpenApiRoutes } from '../integrations/chatgpt';
import { agentRoutes } from './agents.routes';
import { aiRoutes } from './ai.routes';
import { firewallRoutes } from './firewall.routes';
import { apiKeyRoutes } from './api-keys.routes';
import { audioRoutes } from './audio.routes';
import { analyticsDashboardRoutes } from './analytics-dashboards.routes';
import { auditRoutes } from './audit.routes';
import { catalogRoutes } from './catalog.routes';
import { suggestionsRoutes } from './suggestions.routes';
import { executeRoutes } from './execute.routes';
import { healthRoutes } from './health.routes';
import { mediaLinkRoutes } from './media-links.routes';
import { memoryRoutes } from './memory.routes';
import { metricsRoutes } from './metrics.routes';
import type { RouteSpec } from './route-spec';
import { statusRoutes } from './status.routes';
import { workflowRoutes } from './workflows.routes';
import { dashboardRoutes } from '../web';

export const openApiRoute = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  summary: 'This OpenAPI 3.1 document (for ChatGPT Actions and other clients)',
  tier: 'public',
  tag: 'meta',
  responses: { 200: { description: 'OpenAPI 3.1 document' } },
} satisfies RouteSpec;

/** Every route of the control plane, in mount order: the OpenAPI document is generated from this list. */
export const ROUTES: readonly RouteSpec[] = [
  ...Object.values(healthRoutes),
  openApiRoute,
  ...Object.values(statusRoutes),
  ...Object.values(executeRoutes),
  ...Object.values(apiKeyRoutes),
  ...Object.values(agentRoutes),
  ...Object.values(workflowRoutes),
  ...Object.values(aiRoutes),
  ...Object.values(firewallRoutes),
  ...Object.values(audioRoutes),
  ...Object.values(mediaLinkRoutes),
  ...Object.values(analyticsDashboardRoutes),
  ...Object.values(catalogRoutes),
  ...Object.values(suggestionsRoutes),
  ...Object.values(auditRoutes),
  ...Object.values(memoryRoutes),
  ...Object.values(metricsRoutes),
  ...Object.values(chatGptOpenApiRoutes),
  ...Object.values(chatGptActionRoutes),
  ...Object.values(dashboardRoutes),
];
