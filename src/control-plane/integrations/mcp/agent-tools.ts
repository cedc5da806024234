import { z } from 'zod';
import { executeRequestSchema, executeResponseSchema } from '../../../common/protocol';
import { agentListSchema, agentNameParams, createdTaskSchema, createTaskBody, jobParams, jobSchema } from '../../http/agent-schemas';
import { mapOutcome, segment } from './control-plane-client';
import { defineTool } from './tool-definition';

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

export const listAgentsTool = defineTool({
  name: 'list_agents',
  title: 'List Jarvis agents',
  description: 'The agents of the Jarvis control plane and their capabilities. A capability name is the taskType for queue_agent_task.',
  input: z.strictObject({}),
  output: agentListSchema,
  annotations: READ_ONLY,
  run: (_args, { client, signal }) => client.call('GET', '/api/v1/agents', agentListSchema, { signal }),
  summary: (data) => `${data.agents.length} agents: ${data.agents.map((a) => `${a.name} (${a.capabilities.map((c) => c.name).join(', ')})`).join('; ')}`,
});

const queueInput = z.strictObject({
  agent: agentNameParams.shape.name.describe('Agent name, as list_agents gives it (e.g. QualityAssurance)'),
  taskType: createTaskBody.shape.taskType.describe('One of the agent\'s capability names (e.g. system-health-check)'),
  payload: createTaskBody.shape.payload.describe('The capability\'s input; validated by the control plane against its schema'),
  priority: createTaskBody.shape.priority,
});

export const queueAgentTaskTool = defineTool({
  name: 'queue_agent_task',
  title: 'Queue an agent task',
  description:
    'Queues a task for an agent and answers at once with its taskId (a job id). Poll it with get_job or read jarvis://jobs/{jobId}. ' +
    'Capabilities that act through the devops module (deploys, infrastructure) need a key with the devops scope.',
  input: queueInput,
  output: createdTaskSchema,
  // A task may deploy or change infrastructure (DevOpsEngineer), so clients should confirm it.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  fields: { 'params.name': 'agent' },
  run: ({ agent, ...body }, { client, signal }) => client.call('POST', `/api/v1/agents/${segment(agent)}/tasks`, createdTaskSchema, { body, signal }),
  summary: (data) => `${data.message}: job ${data.taskId}, status ${data.status}. Poll it with get_job.`,
});

const jobOutput = z.object({ job: jobSchema });

export const getJobTool = defineTool({
  name: 'get_job',
  title: 'Get a job (task or workflow)',
  description: 'Status, result or error, and events of a task (tsk_…) or workflow (wf_…). Very large results are cut; the text says where the full one is.',
  input: jobParams,
  output: jobOutput,
  annotations: READ_ONLY,
  fields: { 'params.jobId': 'jobId' },
  run: async ({ jobId }, { client, signal }) => mapOutcome(await client.call('GET', `/integrations/chatgpt/jobs/${segment(jobId)}`, jobSchema, { signal }), (job) => ({ job })),
  summary: ({ job }) => {
    const error = job.kind === 'task' ? job.error : (job.error as { code?: string } | undefined);
    return `${job.kind} ${job.jobId}: ${job.status}${error?.code ? ` (${error.code})` : ''}`;
  },
});

export const executeModuleActionTool = defineTool({
  name: 'execute_module_action',
  title: 'Run an AI DAWG module action',
  description:
    'Runs one action of an AI DAWG module (music, creative, testing, devops, analytics, ...) and waits for its result. ' +
    'params are validated by the module; an unknown module or action answers with the ones that exist. devops actions need the devops scope.',
  input: executeRequestSchema,
  output: executeResponseSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  run: (body, { client, signal }) => client.call('POST', '/api/v1/execute', executeResponseSchema, { body, signal, long: true }),
  summary: (data) => `${data.module}.${data.action} ran in ${data.durationMs} ms`,
});
