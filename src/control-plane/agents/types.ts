import type { ScheduleInput, ScheduleRecord } from './schedule-service';
import type { z } from 'zod';
import type { ChatAnswer, ChatInput } from '../ai-router';
import type { Logger } from '../../common/logger';
import type { CatalogTrack, PublishTrackInput } from '../catalog/catalog-service';
import type { WorkflowStepInput } from './workflow-engine';

export const TASK_PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
/** graphile-worker runs lower numbers first. */
export const PRIORITY_RANK: Record<TaskPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const TASK_STATUSES = ['waiting', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

/** The blueprint's capability description (§2.2.1), as listed by GET /api/v1/agents. */
export interface AgentCapability {
  name: string;
  description: string;
  requiredModules: string[];
  /** Typical run time in seconds. */
  estimatedDuration?: number;
}

export interface ModuleCallOptions {
  /** The DAWG call's limit when the action runs longer than AI_DAWG_TIMEOUT_MS (a deploy waiting for health checks). */
  timeoutMs?: number;
}

/** What a running capability gets from the task system. */
export interface CapabilityContext {
  taskId: string;
  agent: string;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** Fires on cancel, on timeout and on shutdown; pass it to everything that waits. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * Runs `module.action` on the AI DAWG and returns its result. Fails with
   * MODULE_ACTION_UNAVAILABLE (naming `module.action`) when the DAWG does not offer it.
   */
  call(module: string, action: string, params: Record<string, unknown>, options?: ModuleCallOptions): Promise<unknown>;
  /** Records a task.progress event (0-100). */
  progress(percent: number, message?: string): void;
  /**
   * Chat through the AI router (the same service as POST /api/v1/ai/chat): routed, retried,
   * booked in the cost ledger under this agent and task, cancelled with the task's signal.
   */
  ai(input: Omit<ChatInput, 'signal'>): Promise<ChatAnswer>;
  /**
   * Creates a cron schedule (the control plane's scheduler: persisted, once per slot across
   * instances) owned by the task's user. Idempotent for a retried task: a schedule of the same
   * name, owner and definition is answered as it is; a different one with that name is a 409.
   */
  schedule(input: ScheduleInput): Promise<ScheduleRecord>;
  /**
   * Starts a workflow (graph of agent tasks) owned by the task's user. Its id follows from the
   * task's, so a retried or resumed task gets the workflow it started rather than a second one.
   */
  startWorkflow(spec: { name: string; kind?: string; steps: readonly WorkflowStepInput[] }): Promise<{ workflowId: string; taskIds: Record<string, string>; existing?: true }>;
  /** Publishes a DAWG file to the music catalog as the task's user (a retried task gets its own entry back). */
  publishTrack(input: PublishTrackInput): Promise<CatalogTrack>;
  /** The memories of the task's user most relevant to `query` (empty for system tasks or without the memory layer). */
  recall(query: string, k?: number): Promise<Array<{ id: string; content: string; type: string; score: number }>>;
}

/** A capability as the task system runs it: the blueprint's description plus what makes it safe to run. */
export interface CapabilitySpec<P = unknown> extends AgentCapability {
  /** Validates the task payload at enqueue time; the parsed value is what `run` receives. */
  payload: z.ZodType<P>;
  /** Hard limit for one attempt; the signal aborts when it passes. */
  timeoutMs: number;
  /**
   * After a crash interrupted a run: true → the task is queued again (the capability is safe
   * to repeat); false → it ends `failed` with reason `interrupted`.
   */
  resumable: boolean;
  run(payload: P, ctx: CapabilityContext): Promise<unknown>;
}

/** Helper that keeps the payload type of a capability tied to its schema. */
export function capability<S extends z.ZodType>(
  spec: Omit<CapabilitySpec<z.infer<S>>, 'payload'> & { payload: S },
): CapabilitySpec<z.infer<S>> {
  return spec as CapabilitySpec<z.infer<S>>;
}
