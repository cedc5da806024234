import { executeRequestSchema, executeResponseSchema } from '../../common/protocol';
import { parseInput } from '../../common/validation';
import { ModuleDispatcher, type AiRouterParts } from '../ai-router';
import type { ModuleRouter } from '../dawg-client';
import { ForbiddenError } from '../../common/errors';
import { callerOf, ownerFilter, principalOf, requestIdOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

export const executeRoutes = {
  execute: {
    method: 'post',
    path: '/api/v1/execute',
    operationId: 'executeModuleAction',
    summary: 'Run an action of an AI DAWG module',
    description:
      'Forwards {module, action, params} to the AI DAWG. GET /status lists the modules and actions that run. ' +
      'Unknown module or action: 404 listing what exists; invalid params: 400 naming each field. ' +
      'creative.generate-audio with provider auto: the AI router picks the song provider (strategy, budget), books each attempt in the AI ledger and falls back to the next provider; the result carries routing.',
    tier: 'integration',
    tag: 'execute',
    body: executeRequestSchema,
    responses: {
      200: { description: 'The action ran; result is what it returned', schema: executeResponseSchema },
      403: { description: 'devops module actions need the devops scope; a change to a music project another key created (FORBIDDEN); a command refused by the terminal firewall (COMMAND_DENIED)' },
      404: { description: 'Unknown module (UNKNOWN_MODULE) or action (UNKNOWN_ACTION)' },
      402: { description: 'Provider auto: the AI budget is used up and no free music model may serve (AI_BUDGET_EXHAUSTED)' },
      502: { description: 'The AI DAWG failed (DAWG_ERROR) or is misconfigured (DAWG_AUTH_FAILED)' },
      503: { description: 'The AI DAWG is unreachable or its circuit is open (DAWG_UNAVAILABLE), or a module dependency is down; provider auto: no music model can serve (AI_NO_MODEL_AVAILABLE) or every one failed (AI_PROVIDERS_FAILED)' },
      504: { description: 'The AI DAWG did not answer in time (DAWG_TIMEOUT)' },
    },
  },
} satisfies Record<string, RouteSpec>;

export function mountExecuteRoutes(mount: Mount, deps: { moduleRouter: ModuleRouter; ai?: AiRouterParts }): void {
  const dispatcher = new ModuleDispatcher(deps.moduleRouter, deps.ai?.service);
  mount(executeRoutes.execute, async (req, res) => {
    const request = parseInput(executeRequestSchema, req.body, 'body');
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const principal = principalOf(res)!;
    if (request.module === 'devops' && !principal.scopes.includes('devops')) {
      throw new ForbiddenError('Actions of the devops module need an API key with the "devops" scope', { module: request.module });
    }
    const result = await dispatcher.execute(request, { requestId: requestIdOf(res), signal: controller.signal, actor: principal.id, ownedBy: ownerFilter(principal) }, callerOf(res));
    res.json(result);
  });
}
