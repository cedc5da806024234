import { createHash } from 'node:crypto';
import type { MemoryManager } from '../memory/memory-manager';
import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';
import type { AiService } from '../ai-router';
import type { AgentSystemConfig } from '../config';
import type { ModuleRouter } from '../dawg-client';
import { AgentRegistry } from './agent-registry';
import type { BaseAgent } from './base-agent';
import { CapabilityCalls } from './capability-calls';
import { ScheduleService } from './schedule-service';
import { TaskEventBus } from './task-event-bus';
import { TaskQueue } from './task-queue';
import { TaskRecovery } from './task-recovery';
import { TaskRunner } from './task-runner';
import { TaskService } from './task-service';
import { TaskStore } from './task-store';
import { WorkflowEngine, type WorkflowSummary } from './workflow-engine';
import { WORKFLOW_SUMMARIES } from './scenarios';
import type { CatalogService } from '../catalog/catalog-service';
import type { ApiKeyService } from '../auth';

export interface AgentSystemDeps {
  db: Db;
  moduleRouter: Pick<ModuleRouter, 'execute' | 'modules'>;
  logger: Logger;
  config: AgentSystemConfig;
  agents: readonly BaseAgent[];
  /** The AI router agents chat through (ctx.ai); without it ctx.ai fails with 501. */
  ai?: Pick<AiService, 'chat' | 'generateMusic'>;
  /** The memory layer: relevant memories of the task's user go into its agents' chats (ctx.ai) and ctx.recall. */
  memory?: Pick<MemoryManager, 'recall'>;
  /** The music catalog agents publish to (ctx.publishTrack); without it publishing fails with 501. */
  catalog?: Pick<CatalogService, 'publish'>;
  /** Scopes of the keys that queue tasks: an admin key's tasks may change anyone's projects, others' only their own. */
  apiKeys?: Pick<ApiKeyService, 'activeScopes'>;
  /** Summaries of workflow kinds (the production scenario's answer); the built-in ones by default. */
  workflowSummaries?: Readonly<Record<string, WorkflowSummary>>;
}

/** The queue's schema: next to the app's tables, so per-test schemas isolate it too. */
export function queueSchemaFor(db: Db): string {
  return db.schema === 'public' ? 'jarvis_queue' : `${db.schema}_queue`;
}

/**
 * The agent system, assembled: registry, durable tasks, workflows, schedules and the queue
 * that runs them. `start()` begins taking work; without it the services still accept and
 * answer (another instance may be the one running tasks).
 */
export class AgentSystem {
  readonly registry: AgentRegistry;
  readonly bus: TaskEventBus;
  readonly tasks: TaskService;
  readonly workflows: WorkflowEngine;
  readonly schedules: ScheduleService;
  readonly runner: TaskRunner;
  readonly recovery: TaskRecovery;
  private readonly queue: TaskQueue;
  private started = false;

  constructor(private readonly deps: AgentSystemDeps) {
    const { db, logger, config } = deps;
    const queueSchema = queueSchemaFor(db);
    const channel = `jarvis_cancel_${createHash('sha256').update(queueSchema).digest('hex').slice(0, 16)}`;
    const store = new TaskStore(queueSchema, channel);
    this.bus = new TaskEventBus((err) => logger.error('task event subscriber failed', { reason: (err as Error).message }));
    this.registry = new AgentRegistry(deps.agents);
    this.workflows = new WorkflowEngine(db, store, this.registry, this.bus, { maxAttempts: config.maxAttempts }, deps.workflowSummaries ?? WORKFLOW_SUMMARIES, (workflowId, err) =>
      logger.error('workflow summary failed: the plain result is kept', { workflowId, reason: (err as Error).message }),
    );
    this.recovery = new TaskRecovery(db, store, this.workflows, this.bus);
    this.runner = new TaskRunner({ db, store, registry: this.registry, calls: new CapabilityCalls({ router: deps.moduleRouter, logger, ai: deps.ai, memory: deps.memory, schedules: () => this.schedules, workflows: this.workflows, catalog: deps.catalog, apiKeys: deps.apiKeys }), bus: this.bus, workflows: this.workflows, logger, config });
    this.tasks = new TaskService(db, store, this.registry, this.bus, this.runner, this.workflows, config);
    this.schedules = new ScheduleService(db, store, this.registry, this.bus, this.tasks.enqueueIn, logger);
    this.queue = new TaskQueue({ db, store, runner: this.runner, recovery: this.recovery, logger, config });
  }

  /** Installs the queue's schema (idempotent); call once before using the services. */
  async migrate(): Promise<void> {
    await TaskQueue.migrate(this.deps.db, queueSchemaFor(this.deps.db), this.deps.logger);
  }

  async start(): Promise<void> {
    await this.queue.start();
    this.schedules.start(this.deps.config.scheduleTickMs);
    this.started = true;
  }

  get workerId(): string {
    return this.runner.workerId;
  }

  async stop(graceMs?: number): Promise<void> {
    this.schedules.stop();
    if (this.started) await this.queue.stop(graceMs);
    this.started = false;
  }
}
