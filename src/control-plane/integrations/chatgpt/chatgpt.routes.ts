import type { Response } from 'express';
import { z } from 'zod';
import { AppError, NotImplementedError } from '../../../common/errors';
import { parseInput } from '../../../common/validation';
import { assertMayQueue, requireAgents } from '../../http/agents.routes';
import { createdWorkflowSchema, scheduleSchema } from '../../http/agent-schemas';
import { ownerFilter, principalOf, requestIdOf } from '../../http/locals';
import type { Mount, RouteSpec } from '../../http/route-spec';
import { TASK_STATUSES, type AgentSystem } from '../../agents';
import type { ModuleRouter } from '../../dawg-client';
import { actionPath, CHATGPT_ACTIONS, type ChatGptAction } from './chatgpt-actions';
import { fitForChatGpt } from './response-budget';

const jobUrlOf = (id: string) => `/integrations/chatgpt/jobs/${id}`;

export const queuedJobSchema = z.object({
  success: z.literal(true),
  jobId: z.string(),
  status: z.enum(TASK_STATUSES),
  jobUrl: z.string().describe('GET it (getJobStatus) until status is completed, failed or cancelled'),
  agent: z.string(),
  taskType: z.string(),
  estimatedSeconds: z.number().optional(),
  message: z.string(),
});

export const callResultSchema = z.object({
  success: z.literal(true),
  module: z.string(),
  action: z.string(),
  durationMs: z.number(),
  result: z.unknown().describe('What the action returned; null when it was too large to send (see truncated)'),
  truncated: z.object({ characters: z.number(), limit: z.number(), hint: z.string() }).optional(),
});

const COMMON_ERRORS = {
  404: { description: 'The agent system has no such agent or capability (only with a customised registry)' },
  503: { description: 'The agent system is disabled, or the AI DAWG is unreachable' },
};

function responsesOf(action: ChatGptAction): RouteSpec['responses'] {
  switch (action.kind) {
    case 'job':
      return { 202: { description: 'Queued: poll the jobId', schema: queuedJobSchema }, ...COMMON_ERRORS };
    case 'workflow':
    case 'scenario':
      return { 202: { description: 'Started: poll the jobId', schema: createdWorkflowSchema.extend({ jobId: z.string() }) }, ...COMMON_ERRORS };
    case 'schedule':
      return { 201: { description: 'Created', schema: scheduleSchema }, 409: { description: 'A schedule of that name exists' }, ...COMMON_ERRORS };
    case 'call':
      return {
        200: { description: 'The action ran; its result', schema: callResultSchema },
        501: { description: `${action.module}.${action.action} is not available on this AI DAWG` },
        502: { description: 'The AI DAWG failed' },
        503: COMMON_ERRORS[503],
        504: { description: 'The action did not finish within 30 s' },
      };
  }
}

function specOf(action: ChatGptAction): RouteSpec {
  return {
    method: 'post',
    path: actionPath(action),
    operationId: action.operationId,
    summary: action.summary,
    description: action.description,
    tier: action.scope ?? 'integration',
    tag: action.group,
    body: action.body,
    responses: responsesOf(action),
    consequential: action.consequential,
  };
}

/** One route per ChatGPT Action, keyed by operationId. */
export const chatGptActionRoutes: Readonly<Record<string, RouteSpec>> = Object.fromEntries(CHATGPT_ACTIONS.map((a) => [a.operationId, specOf(a)]));

export interface ChatGptRouteDeps {
  agents?: AgentSystem;
  moduleRouter: ModuleRouter;
}

async function runCall(action: Extract<ChatGptAction, { kind: 'call' }>, params: Record<string, unknown>, res: Response, deps: ChatGptRouteDeps) {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  try {
    const out = await deps.moduleRouter.execute(
      { module: action.module, action: action.action, params },
      { requestId: requestIdOf(res), signal: controller.signal, actor: principalOf(res)?.id, ownedBy: ownerFilter(principalOf(res)), timeoutMs: action.timeoutMs },
    );
    res.json(fitForChatGpt({ success: true as const, ...out }));
  } catch (err) {
    // A module the DAWG does not run (yet) is an unimplemented action, not a bad request.
    if (err instanceof AppError && (err.code === 'UNKNOWN_MODULE' || err.code === 'UNKNOWN_ACTION')) {
      throw new NotImplementedError(`${action.module}.${action.action} is not available on this AI DAWG (${err.message})`, { module: action.module, action: action.action });
    }
    throw err;
  }
}

export function mountChatGptRoutes(mount: Mount, deps: ChatGptRouteDeps): void {
  for (const action of CHATGPT_ACTIONS) {
    const spec = chatGptActionRoutes[action.operationId]!;
    mount(spec, async (req, res) => {
      const principal = principalOf(res);
      switch (action.kind) {
        case 'call': {
          const params = parseInput(action.body, req.body, 'body') as Record<string, unknown>;
          return runCall(action, params, res, deps);
        }
        case 'job': {
          const agents = requireAgents(deps.agents);
          const payload = parseInput(action.body, req.body, 'body');
          assertMayQueue(agents, principal, action.agent, action.taskType, 'body');
          const task = await agents.tasks.enqueue(action.agent, { taskType: action.taskType, payload, priority: 'medium' }, principal?.id);
          const estimatedSeconds = agents.registry.get(action.agent)?.capability(action.taskType)?.estimatedDuration;
          return void res
            .status(202)
            .location(jobUrlOf(task.id))
            .json({
              success: true,
              jobId: task.id,
              status: task.status,
              jobUrl: jobUrlOf(task.id),
              agent: action.agent,
              taskType: action.taskType,
              ...(estimatedSeconds === undefined ? {} : { estimatedSeconds }),
              message: `Queued for ${action.agent} (${action.taskType}); poll ${jobUrlOf(task.id)}`,
            });
        }
        case 'workflow': {
          const agents = requireAgents(deps.agents);
          const body = parseInput(action.body, req.body, 'body');
          body.steps.forEach((step, i) => assertMayQueue(agents, principal, step.agent, step.taskType, `body.steps.${i}.taskType`));
          const created = await agents.workflows.create(body.name, body.steps, principal?.id);
          return void res.status(202).location(jobUrlOf(created.workflowId)).json({ success: true, ...created, jobId: created.workflowId, jobUrl: jobUrlOf(created.workflowId) });
        }
        case 'scenario': {
          const agents = requireAgents(deps.agents);
          const { name, steps, kind } = action.build(parseInput(action.body, req.body, 'body') as never);
          steps.forEach((step, i) => assertMayQueue(agents, principal, step.agent, step.taskType, `body.steps.${i}.taskType`));
          const created = await agents.workflows.create(name, steps, principal?.id, { kind });
          return void res.status(202).location(jobUrlOf(created.workflowId)).json({ success: true, ...created, jobId: created.workflowId, jobUrl: jobUrlOf(created.workflowId) });
        }
        case 'schedule': {
          const agents = requireAgents(deps.agents);
          const body = parseInput(action.body, req.body, 'body');
          assertMayQueue(agents, principal, body.agent, body.taskType, 'body.taskType');
          return void res.status(201).json(await agents.schedules.create(body, principal?.id));
        }
      }
    });
  }
}
