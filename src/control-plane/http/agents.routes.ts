import { ForbiddenError, UnavailableError } from '../../common/errors';
import { MediaLinks, type Principal } from '../auth';
import { parseInput } from '../../common/validation';
import type { AgentSystem } from '../agents';
import {
  agentListSchema,
  agentNameParams,
  agentStatsSchema,
  createdTaskSchema,
  createTaskBody,
  jobParams,
  jobSchema,
  listTasksQuery,
  taskDetailSchema,
  taskListSchema,
  taskParams,
  taskSchema,
} from './agent-schemas';
import { ownerFilter, principalOf } from './locals';
import { fitJobForChatGpt } from '../integrations/chatgpt/response-budget';
import type { Mount, RouteSpec } from './route-spec';

export const agentRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/agents',
    operationId: 'listAgents',
    summary: 'List the agents and their capabilities',
    tier: 'integration',
    tag: 'agents',
    responses: { 200: { description: 'Agents with name, description, requiredModules and estimatedDuration per capability', schema: agentListSchema } },
  },
  stats: {
    method: 'get',
    path: '/api/v1/agents/stats',
    operationId: 'getAgentStats',
    summary: 'Task counts per agent and status, and this instance’s running tasks and limits',
    tier: 'integration',
    tag: 'agents',
    responses: { 200: { description: 'Statistics', schema: agentStatsSchema } },
  },
  createTask: {
    method: 'post',
    path: '/api/v1/agents/:name/tasks',
    operationId: 'queueAgentTask',
    summary: 'Queue a task for an agent; answers 202 with a taskId to poll',
    description: 'priority: critical > high > medium > low, FIFO within a level. Unknown agent: 404; unknown taskType: 400 listing the valid ones.',
    tier: 'integration',
    tag: 'agents',
    params: agentNameParams,
    body: createTaskBody,
    responses: {
      202: { description: 'Queued', schema: createdTaskSchema },
      400: { description: 'Unknown taskType (validTaskTypes listed) or invalid payload (fields named)' },
      404: { description: 'Unknown agent (AGENT_NOT_FOUND)' },
    },
  },
  listTasks: {
    method: 'get',
    path: '/api/v1/agents/:name/tasks',
    operationId: 'listAgentTasks',
    summary: 'List an agent’s tasks, newest first',
    tier: 'integration',
    tag: 'agents',
    params: agentNameParams,
    query: listTasksQuery,
    responses: { 200: { description: 'Tasks', schema: taskListSchema }, 404: { description: 'Unknown agent' } },
  },
  getTask: {
    method: 'get',
    path: '/api/v1/agents/:name/tasks/:id',
    operationId: 'getAgentTask',
    summary: 'A task with its status, result or error, and its events',
    tier: 'integration',
    tag: 'agents',
    params: taskParams,
    responses: { 200: { description: 'The task', schema: taskDetailSchema }, 404: { description: 'Unknown agent or task' } },
  },
  cancelTask: {
    method: 'post',
    path: '/api/v1/agents/:name/tasks/:id/cancel',
    operationId: 'cancelAgentTask',
    summary: 'Cancel a task: at once if not started, else its run is stopped',
    tier: 'integration',
    tag: 'agents',
    params: taskParams,
    responses: {
      200: { description: 'Cancelled (status cancelled)', schema: taskSchema },
      202: { description: 'Running: the run was asked to stop (cancelRequested true); poll the task', schema: taskSchema },
      404: { description: 'Unknown agent or task' },
      409: { description: 'The task has already ended' },
    },
  },
  job: {
    method: 'get',
    path: '/integrations/chatgpt/jobs/:jobId',
    operationId: 'getJobStatus',
    summary: 'Status of a long operation (task or workflow) by its jobId',
    tier: 'integration',
    tag: 'jobs',
    params: jobParams,
    responses: { 200: { description: 'The task, or the workflow with each step', schema: jobSchema }, 404: { description: 'No such job' } },
  },
} satisfies Record<string, RouteSpec>;

/** The agent system, or 503 when ENABLE_AGENT_SYSTEM=false. */
export function requireAgents(agents: AgentSystem | undefined): AgentSystem {
  if (!agents) throw new UnavailableError('FEATURE_DISABLED', 'The agent system is disabled (ENABLE_AGENT_SYSTEM=false)');
  return agents;
}

/**
 * Capabilities that act through the devops module (deploys, infrastructure) change what
 * serves traffic: queueing them, directly, in a workflow or on a schedule, takes a key with
 * the devops scope, as POST /api/v1/devops/exec does.
 */
export function assertMayQueue(agents: AgentSystem, principal: Principal | undefined, agentName: string, taskType: string, field: string): void {
  const cap = agents.registry.get(agentName)?.capability(taskType);
  if (cap?.requiredModules.includes('devops') && !principal?.scopes.includes('devops')) {
    throw new ForbiddenError(`${agentName} ${taskType} acts through the devops module: it needs an API key with the "devops" scope`, { field, agent: agentName, taskType });
  }
}

/**
 * A finished production's answer gets `listenUrl`: its catalog stream with a media link for the
 * caller, so a person can open it where no key can be sent (a link in ChatGPT's answer, a
 * browser). Made at read time: it is valid for an hour from this read, for this key.
 */
function withListenLink<J extends { result?: unknown }>(job: J, links: MediaLinks | undefined, principal: Principal | undefined): J {
  const answer = job.result as { result?: { trackId?: unknown; streamUrl?: unknown } } | undefined;
  const track = answer?.result;
  if (!links || !principal || typeof track?.trackId !== 'string' || typeof track.streamUrl !== 'string') return job;
  const path = `/catalog/tracks/${track.trackId}/stream`;
  // Only a stream this control plane serves (not a public S3/CDN address, which needs no link).
  if (!track.streamUrl.endsWith(path) || !MediaLinks.linkable(path)) return job;
  const link = links.sign(path, principal);
  return { ...job, result: { ...answer, result: { ...track, listenUrl: track.streamUrl + link.url.slice(path.length), listenUrlExpiresAt: link.expiresAt } } };
}

export function mountAgentRoutes(mount: Mount, deps: { agents?: AgentSystem; mediaLinks?: MediaLinks }): void {
  mount(agentRoutes.list, (_req, res) => {
    res.json({ success: true, agents: requireAgents(deps.agents).registry.list() });
  });
  mount(agentRoutes.stats, async (_req, res) => {
    res.json(await requireAgents(deps.agents).tasks.stats());
  });
  mount(agentRoutes.createTask, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { name } = parseInput(agentNameParams, req.params, 'params');
    const body = parseInput(createTaskBody, req.body, 'body');
    const principal = principalOf(res);
    assertMayQueue(agents, principal, name, body.taskType, 'body.taskType');
    const task = await agents.tasks.enqueue(name, body, principal?.id);
    const jobUrl = `/integrations/chatgpt/jobs/${task.id}`;
    res.status(202).location(`/api/v1/agents/${name}/tasks/${task.id}`).json({ success: true, taskId: task.id, status: task.status, jobUrl, message: `Task queued for ${name}` });
  });
  mount(agentRoutes.listTasks, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { name } = parseInput(agentNameParams, req.params, 'params');
    const query = parseInput(listTasksQuery, req.query, 'query');
    res.json({ tasks: await agents.tasks.list(name, query, ownerFilter(principalOf(res))) });
  });
  mount(agentRoutes.getTask, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { name, id } = parseInput(taskParams, req.params, 'params');
    res.json(await agents.tasks.get(name, id, ownerFilter(principalOf(res))));
  });
  mount(agentRoutes.cancelTask, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { name, id } = parseInput(taskParams, req.params, 'params');
    const task = await agents.tasks.cancel(name, id, ownerFilter(principalOf(res)));
    res.status(task.status === 'cancelled' ? 200 : 202).json(task);
  });
  mount(agentRoutes.job, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { jobId } = parseInput(jobParams, req.params, 'params');
    const job = await agents.tasks.job(jobId, 'JOB_NOT_FOUND', ownerFilter(principalOf(res)));
    res.json(fitJobForChatGpt(withListenLink(job, deps.mediaLinks, principalOf(res))));
  });
}
