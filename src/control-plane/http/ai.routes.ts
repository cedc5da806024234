import type { Response } from 'express';
import { AppError, UnavailableError } from '../../common/errors';
import { fieldError, parseInput } from '../../common/validation';
import type { AiService, BudgetScope, BudgetService, CostLedger } from '../ai-router';
import { SOFT_ALERT_RATIO } from '../ai-router';
import { budgetSchema, chatAnswerSchema, chatBody, costReportSchema, costsQuery, keyBudgetBody, keyBudgetParams, modelListSchema, routeBody, routeDecisionSchema } from './ai-schemas';
import { callerOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

export const aiRoutes = {
  chat: {
    method: 'post',
    path: '/api/v1/ai/chat',
    operationId: 'aiChat',
    summary: 'Route a chat request to the best model and call it (retries, fallback, cost ledger)',
    description: 'stream: true answers as server-sent events: route, delta (text), done (the answer), error. 402 when the budget is used up and no zero-cost model can serve.',
    tier: 'integration',
    tag: 'ai',
    body: chatBody,
    responses: {
      200: { description: 'The answer, which model gave it and why, its cost and every attempt', schema: chatAnswerSchema },
      400: { description: 'Invalid request (fields named)' },
      402: { description: 'Budget exhausted (AI_BUDGET_EXHAUSTED)' },
      503: { description: 'No model available (AI_NO_MODEL_AVAILABLE) or every candidate failed (AI_PROVIDERS_FAILED)' },
    },
  },
  route: {
    method: 'post',
    path: '/api/v1/ai/route',
    operationId: 'aiRoute',
    summary: 'Dry run: which model would serve this request, why, and why each other model lost',
    tier: 'integration',
    tag: 'ai',
    body: routeBody,
    responses: { 200: { description: 'The routing decision', schema: routeDecisionSchema }, 400: { description: 'Invalid request (fields named)' } },
  },
  models: {
    method: 'get',
    path: '/api/v1/ai/models',
    operationId: 'listAiModels',
    summary: 'The model catalog with prices, limits, whether each is configured, circuit state and measured latency',
    tier: 'integration',
    tag: 'ai',
    responses: { 200: { description: 'Models', schema: modelListSchema } },
  },
  costs: {
    method: 'get',
    path: '/api/v1/ai/costs',
    operationId: 'getAiCosts',
    summary: 'AI spend from the ledger, grouped by day, model or caller (default: this UTC month)',
    tier: 'admin',
    tag: 'ai',
    query: costsQuery,
    responses: { 200: { description: 'Cost report', schema: costReportSchema } },
  },
  budget: {
    method: 'get',
    path: '/api/v1/ai/budget',
    operationId: 'getAiBudget',
    summary: 'This month’s budget state: the global budget and the calling key’s own budget',
    tier: 'integration',
    tag: 'ai',
    responses: { 200: { description: 'Budget scopes', schema: budgetSchema } },
  },
  setKeyBudget: {
    method: 'post',
    path: '/api/v1/ai/budget/keys/:keyId',
    operationId: 'setAiKeyBudget',
    summary: 'Set (or with monthlyUsd null remove) an API key’s monthly AI budget in USD',
    tier: 'admin',
    tag: 'ai',
    params: keyBudgetParams,
    body: keyBudgetBody,
    responses: { 200: { description: 'The key’s budget state', schema: budgetSchema }, 404: { description: 'No such API key' } },
  },
} satisfies Record<string, RouteSpec>;

export interface AiRouteDeps {
  ai?: { service: AiService; budgets: BudgetService; ledger: CostLedger };
}

function requireAi(deps: AiRouteDeps): NonNullable<AiRouteDeps['ai']> {
  if (!deps.ai) throw new UnavailableError('FEATURE_DISABLED', 'The AI router is not available in this process');
  return deps.ai;
}

export function mountAiRoutes(mount: Mount, deps: AiRouteDeps): void {
  mount(aiRoutes.chat, async (req, res) => {
    const { service } = requireAi(deps);
    const { stream, user, ...input } = parseInput(chatBody, req.body, 'body');
    const abort = new AbortController();
    res.on('close', () => abort.abort(new Error('the client closed the connection')));
    if (!stream) {
      res.json(await service.chat({ ...input, signal: abort.signal }, callerOf(res, user)));
      return;
    }
    await streamChat(res, service.chatStream({ ...input, signal: abort.signal }, callerOf(res, user)));
  });
  mount(aiRoutes.route, async (req, res) => {
    const body = parseInput(routeBody, req.body, 'body');
    res.json(await requireAi(deps).service.route(body, callerOf(res)));
  });
  mount(aiRoutes.models, (_req, res) => {
    const { service } = requireAi(deps);
    const router = service.router;
    const models = [...router.catalog.values()].map((m) => ({
      key: m.key, provider: m.provider, model: m.model, capabilityClass: m.capabilityClass, taskTypes: m.taskTypes, strengths: m.strengths,
      costPer1MTokens: m.costPer1MTokens, costPerRequest: m.costPerRequest, contextTokens: m.contextTokens, maxOutputTokens: m.maxOutputTokens,
      quality: m.quality, configured: service.isConfigured(m.provider), circuit: service.circuitState(m.provider),
      latency: { priorMs: m.latencyMs, measuredMs: router.latency.samples(m.key) ? Math.round(router.latency.latencyMs(m.key)) : null, samples: router.latency.samples(m.key) },
      share: router.shareOf(m.key),
    }));
    res.json({ defaultStrategy: router.defaultStrategy, models });
  });
  mount(aiRoutes.costs, async (req, res) => {
    const { ledger, budgets } = requireAi(deps);
    const query = parseInput(costsQuery, req.query, 'query');
    const from = query.from ? new Date(`${query.from}T00:00:00Z`) : new Date(`${budgets.month()}T00:00:00Z`);
    // `to` names the last day included.
    const to = query.to ? new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000) : new Date(Date.now() + 1);
    if (to <= from) throw fieldError('query.to', 'must not be before from');
    const rows = await ledger.report(query.groupBy, from, to);
    const total = rows.reduce((t, r) => ({ calls: t.calls + r.calls, costUsd: t.costUsd + r.costUsd, inputTokens: t.inputTokens + r.inputTokens, outputTokens: t.outputTokens + r.outputTokens }), { calls: 0, costUsd: 0, inputTokens: 0, outputTokens: 0 });
    res.json({ groupBy: query.groupBy, from: from.toISOString(), to: to.toISOString(), rows, total });
  });
  mount(aiRoutes.budget, async (_req, res) => {
    const { budgets } = requireAi(deps);
    res.json(await budgetAnswer(budgets, await budgets.scopesFor(callerOf(res))));
  });
  mount(aiRoutes.setKeyBudget, async (req, res) => {
    const { budgets } = requireAi(deps);
    const { keyId } = parseInput(keyBudgetParams, req.params, 'params');
    const { monthlyUsd } = parseInput(keyBudgetBody, req.body, 'body');
    await budgets.setKeyLimit(keyId, monthlyUsd);
    res.json(await budgetAnswer(budgets, [{ scope: `key:${keyId}`, limitUsd: monthlyUsd }]));
  });
}

/** GET /api/v1/ai/budget's shape, for any set of scopes. */
async function budgetAnswer(budgets: BudgetService, scopes: readonly BudgetScope[]) {
  return { month: budgets.month(), softAlertPercent: SOFT_ALERT_RATIO * 100, scopes: await budgets.status(scopes) };
}

/** Server-sent events; an error after the headers went out becomes an `error` event. */
async function streamChat(res: Response, items: AsyncIterable<unknown>): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  // The first item decides the status: failures before any output are ordinary HTTP errors.
  const first = await iterator.next();
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const send = (item: unknown) => {
    const { type, ...data } = item as { type: string };
    res.write(`event: ${type}\ndata: ${JSON.stringify(type === 'done' ? (data as { answer: unknown }).answer : data)}\n\n`);
  };
  try {
    if (!first.done) send(first.value);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) send(next.value);
  } catch (err) {
    const body = err instanceof AppError ? { code: err.code, message: err.message, details: err.details } : { code: 'INTERNAL', message: 'The stream failed' };
    res.write(`event: error\ndata: ${JSON.stringify({ error: body })}\n\n`);
  }
  res.end();
}
