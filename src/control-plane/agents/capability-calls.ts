import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { CatalogService } from '../catalog/catalog-service';
import type { WorkflowEngine } from './workflow-engine';
import { AppError, NotImplementedError } from '../../common/errors';
import { ModuleDispatcher, type AiService } from '../ai-router';
import type { ApiKeyService } from '../auth';
import type { MemoryManager, RecallHit } from '../memory/memory-manager';
import type { Logger } from '../../common/logger';
import type { ModuleRouter } from '../dawg-client';
import type { ScheduleInput, ScheduleRecord, ScheduleService } from './schedule-service';
import type { StartedTask } from './task-store';
import type { CapabilityContext } from './types';

/** The DAWG does not offer `module.action` (yet): permanent for this task, so never retried. */
export class ModuleActionUnavailableError extends AppError {
  constructor(module: string, action: string, available: string[]) {
    super(501, 'MODULE_ACTION_UNAVAILABLE', `Module action ${module}.${action} is not registered on the AI DAWG`, {
      moduleAction: `${module}.${action}`,
      availableModules: available,
    });
  }
}

export interface CapabilityCallsDeps {
  router: Pick<ModuleRouter, 'execute' | 'modules'>;
  logger: Logger;
  ai?: Pick<AiService, 'chat' | 'generateMusic'>;
  memory?: Pick<MemoryManager, 'recall'>;
  /** Read at call time: the schedule service is built after the runner that holds this. */
  schedules?: () => Pick<ScheduleService, 'create' | 'list'>;
  workflows?: Pick<WorkflowEngine, 'create'>;
  catalog?: Pick<CatalogService, 'publish'>;
  /**
   * Scopes of the key that queued a task, read when the task first calls the DAWG: a key
   * without the admin scope may change only what it created (its projects), as through the
   * API. Without it every keyed task is limited that way.
   */
  apiKeys?: Pick<ApiKeyService, 'activeScopes'>;
}

/** The workflow a task starts: its id follows from the task's, so a retried task finds the one it started. */
export function workflowIdOf(taskId: string): string {
  const h = createHash('sha256').update(`workflow-of:${taskId}`).digest('hex');
  return `wf_${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Builds the context a capability runs with: DAWG calls that carry the task's signal and request id. */
export class CapabilityCalls {
  private readonly router: CapabilityCallsDeps['router'];
  /** DAWG calls, with provider `auto` songs routed by the AI router. */
  private readonly dispatcher: ModuleDispatcher;
  private readonly logger: Logger;
  private readonly aiService?: CapabilityCallsDeps['ai'];
  private readonly memory?: CapabilityCallsDeps['memory'];
  private readonly schedules?: CapabilityCallsDeps['schedules'];

  constructor(private readonly deps: CapabilityCallsDeps) {
    this.router = deps.router;
    this.dispatcher = new ModuleDispatcher(deps.router, deps.ai);
    this.logger = deps.logger;
    this.aiService = deps.ai;
    this.memory = deps.memory;
    this.schedules = deps.schedules;
  }

  /** Creates the schedule as the task's user; a retry of the task finds its own schedule instead of failing. */
  private async schedule(task: StartedTask, input: ScheduleInput): Promise<ScheduleRecord> {
    if (!this.schedules) throw new NotImplementedError('Schedules are not available to agents in this process');
    const service = this.schedules();
    const owner = task.created_by ?? undefined;
    try {
      return await service.create(input, owner);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      const mine = (await service.list(owner)).find((s) => s.name === input.name);
      const same = mine && mine.agent === input.agent && mine.taskType === input.taskType && mine.cron === input.cron && mine.timezone === input.timezone
        && isDeepStrictEqual(mine.payload, input.payload);
      if (!same) throw err;
      return mine;
    }
  }

  /** The task's user's memories most relevant to `query`; none for system tasks or without the memory layer. */
  private async recall(task: StartedTask, query: string, k: number): Promise<RecallHit[]> {
    if (!this.memory || !task.created_by || !query.trim()) return [];
    return this.memory.recall({ query: query.slice(0, 2_000), userId: task.created_by, k });
  }

  /**
   * What the task's DAWG calls may change: system work (no key) and tasks of an admin key
   * anything, other keys only their own. A key revoked since counts as not admin.
   */
  private async ownerLimit(task: StartedTask): Promise<string | undefined> {
    if (!task.created_by) return undefined;
    const scopes = await this.deps.apiKeys?.activeScopes(task.created_by);
    return scopes?.includes('admin') ? undefined : task.created_by;
  }

  context(task: StartedTask, signal: AbortSignal, progress: (percent: number, message?: string) => void): CapabilityContext {
    const logger = this.logger.child({ taskId: task.id, agent: task.agent, taskType: task.task_type });
    let ownedBy: Promise<string | undefined> | undefined;
    return {
      taskId: task.id,
      agent: task.agent,
      attempt: task.attempts,
      signal,
      logger,
      progress,
      ai: async (input) => {
        if (!this.aiService) throw new NotImplementedError('The AI router is not available to agents in this process');
        // What the user has told Jarvis before, relevant to this request, goes in as context.
        const lastUser = [...input.messages].reverse().find((m) => m.role === 'user');
        const memories = lastUser ? await this.recall(task, lastUser.content, 3).catch((err: unknown) => {
          logger.warn('memories could not be recalled for the chat', { reason: (err as Error).message });
          return [];
        }) : [];
        const messages = memories.length
          ? [{ role: 'system' as const, content: `Relevant memories of this user (most relevant first):\n${memories.map((m) => `- ${m.content}`).join('\n')}` }, ...input.messages]
          : input.messages;
        return this.aiService.chat({ ...input, messages, signal }, { agent: task.agent, taskId: task.id });
      },
      recall: (query, k = 5) => this.recall(task, query, k),
      schedule: (input) => this.schedule(task, input),
      startWorkflow: async (spec) => {
        if (!this.deps.workflows) throw new NotImplementedError('Workflows are not available to agents in this process');
        return this.deps.workflows.create(spec.name, spec.steps, task.created_by ?? undefined, { kind: spec.kind, id: workflowIdOf(task.id) });
      },
      publishTrack: async (input) => {
        if (!this.deps.catalog) throw new NotImplementedError('The music catalog is not available to agents in this process');
        return this.deps.catalog.publish(input, { taskId: task.id, workflowId: task.workflow_id ?? undefined, actor: task.created_by ?? `agent:${task.agent}`, signal });
      },
      call: async (module, action, params, options = {}) => {
        signal.throwIfAborted();
        const { reachable, modules } = await this.router.modules();
        // When the DAWG is unreachable the call itself fails with 503 (transient) below.
        if (reachable) {
          const found = modules.find((m) => m.name === module);
          if (!found?.actions.some((a) => a.name === action)) throw new ModuleActionUnavailableError(module, action, modules.map((m) => m.name));
        }
        // Commands the action asks the firewall for are recorded (and approved) as the key that queued the task.
        const actor = task.created_by ?? `agent:${task.agent}`;
        ownedBy ??= this.ownerLimit(task);
        const response = await this.dispatcher.execute({ module, action, params }, { requestId: task.id, signal, actor, ownedBy: await ownedBy, ...options }, { agent: task.agent, taskId: task.id });
        return response.result;
      },
    };
  }
}
