export { AgentRegistry } from './agent-registry';
export { AgentSystem, queueSchemaFor, type AgentSystemDeps } from './agent-system';
export { BaseAgent } from './base-agent';
export { catalogCapability, createDefaultAgents, type CatalogAgentName } from './catalog';
export { ModuleActionUnavailableError } from './capability-calls';
export type { ScheduleInput, ScheduleRecord } from './schedule-service';
export type { TaskEvent } from './task-event-bus';
export type { TaskError, TaskEventRecord, TaskRecord } from './task-records';
export type { EnqueueInput, JobView, WorkflowView } from './task-service';
export {
  capability,
  PRIORITY_RANK,
  TASK_PRIORITIES,
  TASK_STATUSES,
  type AgentCapability,
  type CapabilityContext,
  type CapabilitySpec,
  type TaskPriority,
  type TaskStatus,
} from './types';
export type { WorkflowStepInput } from './workflow-engine';
