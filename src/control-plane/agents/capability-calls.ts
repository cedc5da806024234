import { isDeepStrictEqual } from 'node:util';
import { AppError, NotImplementedError } from '../../common/errors';
import type { AiService } from '../ai-router';
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

/** Builds the context a capability runs with: DAWG calls that carry the task's signal and request id. */
export class CapabilityCalls {
  constructor(
    private readonly router: Pick<ModuleRouter, 'execute' | 'modules'>,
    private readonly logger: Logger,
    private readonly aiService?: Pick<AiService, 'chat'>,
    private readonly memory?: Pick<MemoryManager, 'recall'>,
    /** Read at call time: the schedule service is built after the runner that holds this. */
    private readonly schedules?: () => Pick<ScheduleService, 'create' | 'list'>,
  ) {}

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

  context(task: StartedTask, signal: AbortSignal, progress: (percent: number, message?: string) => void): CapabilityContext {
    const logger = this.logger.child({ taskId: task.id, agent: task.agent, taskType: task.task_type });
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
        const response = await this.router.execute({ module, action, params }, { requestId: task.id, signal, actor, ...options });
        return response.result;
      },
    };
  }
}
