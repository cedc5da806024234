import { z } from 'zod';
import { wholeNumberFromText } from '../../common/validation';
import { TASK_PRIORITIES, TASK_STATUSES } from '../agents';

/** Request and response schemas of the agent, workflow, schedule and job routes (validation and OpenAPI). */
export const agentNameParams = z.object({ name: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'must be an agent name such as MixingEngineer') }).strict();
export const taskParams = agentNameParams.extend({ id: z.string().regex(/^tsk_[0-9a-f-]{36}$/, 'must be a task id (tsk_…)') }).strict();
export const workflowParams = z.object({ id: z.string().regex(/^wf_[0-9a-f-]{36}$/, 'must be a workflow id (wf_…)') }).strict();
export const jobParams = z.object({ jobId: z.string().regex(/^(tsk|wf)_[0-9a-f-]{36}$/, 'must be a task (tsk_…) or workflow (wf_…) id') }).strict();
export const scheduleParams = z.object({ id: z.string().regex(/^sch_[0-9a-f-]{36}$/, 'must be a schedule id (sch_…)') }).strict();

const priority = z.enum(TASK_PRIORITIES).default('medium');
const payload = z.record(z.string(), z.unknown()).default({});

export const createTaskBody = z
  .object({
    taskType: z.string().min(1, 'must not be empty').max(100),
    payload,
    priority,
  })
  .strict();

export const listTasksQuery = z
  .object({
    status: z.enum(TASK_STATUSES).optional(),
    limit: wholeNumberFromText().min(1).max(500).default(50),
  })
  .strict();

const stepKey = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase step key (a-z, 0-9, -)');
export const createWorkflowBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    steps: z
      .array(
        z
          .object({
            key: stepKey,
            agent: z.string().min(1),
            taskType: z.string().min(1),
            payload,
            priority,
            dependsOn: z.array(stepKey).max(50).default([]),
            inputs: z.record(z.string(), z.string().regex(/^[a-z][a-z0-9-]{0,63}(\.[A-Za-z0-9_-]+)*$/, 'must be "stepKey" or "stepKey.path.to.value"')).default({}),
          })
          .strict(),
      )
      .min(1, 'must have at least one step')
      .max(100),
  })
  .strict();

export const createScheduleBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    cron: z.string().min(1).max(200),
    timezone: z.string().min(1).max(100).default('UTC'),
    agent: z.string().min(1),
    taskType: z.string().min(1),
    payload,
    priority,
  })
  .strict();

const taskError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });
export const taskSchema = z.object({
  id: z.string(),
  agent: z.string(),
  taskType: z.string(),
  priority: z.enum(TASK_PRIORITIES),
  status: z.enum(TASK_STATUSES),
  payload: z.unknown(),
  result: z.unknown().optional(),
  error: taskError.optional(),
  attempts: z.number(),
  maxAttempts: z.number(),
  progress: z.number().optional(),
  cancelRequested: z.boolean(),
  workflowId: z.string().optional(),
  stepKey: z.string().optional(),
  dependsOn: z.array(z.string()).optional(),
  scheduleId: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
const eventSchema = z.object({ id: z.number(), type: z.string(), data: z.unknown().optional(), at: z.string() });
export const taskDetailSchema = taskSchema.extend({ events: z.array(eventSchema) });
export const createdTaskSchema = z.object({ success: z.literal(true), taskId: z.string(), status: z.enum(TASK_STATUSES), jobUrl: z.string(), message: z.string() });
export const taskListSchema = z.object({ tasks: z.array(taskSchema) });

export const agentListSchema = z.object({
  success: z.literal(true),
  agents: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      capabilities: z.array(z.object({ name: z.string(), description: z.string(), requiredModules: z.array(z.string()), estimatedDuration: z.number().optional() })),
    }),
  ),
});
export const agentStatsSchema = z.object({
  agents: z.array(z.object({ name: z.string(), totalTasks: z.number(), capabilities: z.array(z.string()) }).catchall(z.unknown())),
  instance: z.object({ workerId: z.string(), running: z.number(), maxConcurrentTasks: z.number(), maxConcurrentPerAgent: z.number() }),
});

export const workflowSchema = z.object({
  jobId: z.string(),
  kind: z.literal('workflow'),
  name: z.string(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  steps: z.array(taskSchema),
});
export const jobSchema = z.union([taskDetailSchema.extend({ jobId: z.string(), kind: z.literal('task') }), workflowSchema]);
export const createdWorkflowSchema = z.object({ success: z.literal(true), workflowId: z.string(), taskIds: z.record(z.string(), z.string()), jobUrl: z.string() });

export const scheduleSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  agent: z.string(),
  taskType: z.string(),
  payload: z.unknown(),
  priority: z.enum(TASK_PRIORITIES),
  enabled: z.boolean(),
  nextRunAt: z.string(),
  lastRunAt: z.string().optional(),
  lastTaskId: z.string().optional(),
  createdAt: z.string(),
});
