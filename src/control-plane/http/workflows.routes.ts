import { parseInput } from '../../common/validation';
import type { AgentSystem } from '../agents';
import { createdWorkflowSchema, createScheduleBody, createWorkflowBody, scheduleParams, scheduleSchema, workflowParams, workflowSchema } from './agent-schemas';
import { assertMayQueue, requireAgents } from './agents.routes';
import { ownerFilter, principalOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';
import { z } from 'zod';

export const workflowRoutes = {
  create: {
    method: 'post',
    path: '/api/v1/workflows',
    operationId: 'createWorkflow',
    summary: 'Start a workflow: agent tasks with dependencies; answers 202 with a jobId',
    description: 'A step runs when every step in dependsOn has completed; inputs copy their results into its payload ("stepKey.path").',
    tier: 'integration',
    tag: 'workflows',
    body: createWorkflowBody,
    responses: { 202: { description: 'Started', schema: createdWorkflowSchema }, 400: { description: 'Invalid graph or step (field named)' } },
  },
  get: {
    method: 'get',
    path: '/api/v1/workflows/:id',
    operationId: 'getWorkflow',
    summary: 'A workflow with the status and result of each step',
    tier: 'integration',
    tag: 'workflows',
    params: workflowParams,
    responses: { 200: { description: 'The workflow', schema: workflowSchema }, 404: { description: 'No such workflow' } },
  },
  cancel: {
    method: 'post',
    path: '/api/v1/workflows/:id/cancel',
    operationId: 'cancelWorkflow',
    summary: 'Cancel a running workflow and its unfinished steps',
    tier: 'integration',
    tag: 'workflows',
    params: workflowParams,
    responses: { 200: { description: 'Cancelled', schema: workflowSchema }, 404: { description: 'No such workflow' }, 409: { description: 'Already ended' } },
  },
  listSchedules: {
    method: 'get',
    path: '/api/v1/schedules',
    operationId: 'listSchedules',
    summary: 'List cron schedules that create agent tasks',
    tier: 'integration',
    tag: 'schedules',
    responses: { 200: { description: 'Schedules', schema: z.object({ schedules: z.array(scheduleSchema) }) } },
  },
  createSchedule: {
    method: 'post',
    path: '/api/v1/schedules',
    operationId: 'createSchedule',
    summary: 'Create a cron schedule (e.g. "0 9 * * *" in a time zone) that queues an agent task per slot',
    tier: 'integration',
    tag: 'schedules',
    body: createScheduleBody,
    responses: { 201: { description: 'Created', schema: scheduleSchema }, 400: { description: 'Invalid cron, timezone, agent, taskType or payload' }, 409: { description: 'Name taken' } },
  },
  deleteSchedule: {
    method: 'delete',
    path: '/api/v1/schedules/:id',
    operationId: 'deleteSchedule',
    summary: 'Delete a schedule; tasks it already created are kept',
    tier: 'integration',
    tag: 'schedules',
    params: scheduleParams,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such schedule' } },
  },
} satisfies Record<string, RouteSpec>;

export function mountWorkflowRoutes(mount: Mount, deps: { agents?: AgentSystem }): void {
  mount(workflowRoutes.create, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const body = parseInput(createWorkflowBody, req.body, 'body');
    const principal = principalOf(res);
    body.steps.forEach((step, i) => assertMayQueue(agents, principal, step.agent, step.taskType, `body.steps.${i}.taskType`));
    const created = await agents.workflows.create(body.name, body.steps, principal?.id);
    res.status(202).json({ success: true, ...created, jobUrl: `/integrations/chatgpt/jobs/${created.workflowId}` });
  });
  mount(workflowRoutes.get, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { id } = parseInput(workflowParams, req.params, 'params');
    res.json(await agents.tasks.job(id, 'WORKFLOW_NOT_FOUND', ownerFilter(principalOf(res))));
  });
  mount(workflowRoutes.cancel, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { id } = parseInput(workflowParams, req.params, 'params');
    const owner = ownerFilter(principalOf(res));
    // Another key's workflow is "not found" before anything is cancelled.
    await agents.tasks.job(id, 'WORKFLOW_NOT_FOUND', owner);
    await agents.workflows.cancel(id);
    res.json(await agents.tasks.job(id, 'WORKFLOW_NOT_FOUND', owner));
  });
  mount(workflowRoutes.listSchedules, async (_req, res) => {
    res.json({ schedules: await requireAgents(deps.agents).schedules.list(ownerFilter(principalOf(res))) });
  });
  mount(workflowRoutes.createSchedule, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const body = parseInput(createScheduleBody, req.body, 'body');
    const principal = principalOf(res);
    assertMayQueue(agents, principal, body.agent, body.taskType, 'body.taskType');
    res.status(201).json(await agents.schedules.create(body, principal?.id));
  });
  mount(workflowRoutes.deleteSchedule, async (req, res) => {
    const agents = requireAgents(deps.agents);
    const { id } = parseInput(scheduleParams, req.params, 'params');
    await agents.schedules.remove(id, ownerFilter(principalOf(res)));
    res.status(204).end();
  });
}
