import { processInstanceName } from '../common/instance';
import { JarvisSnapshotSource, SnapshotTemplate } from './analytics/jarvis-snapshot';
import { JarvisReadOnlySource, type JarvisSourceState } from './analytics/jarvis-source';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import { migrate, openPglite, openPostgres, type Db } from '../common/db';
import { connectRedis, MemoryKv, RedisKv, type Kv, type RedisClient } from '../common/kv';
import { childWithLevel, type Logger } from '../common/logger';
import { ClusterMetrics, Metrics } from './metrics';
import { createMemoryLayer, type MemoryLayer } from './memory';
import { buildApp } from './app';
import { authFailureGate } from './http/rate-limit.middleware';
import { AgentSystem, createDefaultAgents, type BaseAgent, type TaskEvent } from './agents';
import { createAiRouter, type AiRouterParts } from './ai-router';
import { AuditLog, AuditRetentionJob, AuditWitnessFile } from './audit';
import { ApiKeyService } from './auth';
import { createProviderRegistry, type ProviderRegistry } from './providers';
import type { ControlPlaneConfig } from './config';
import { ModuleRouter } from './dawg-client';
import { DEFAULT_POLICY_FILE, TerminalFirewall } from './firewall';
import { HealthService } from './health';
import { CatalogService } from './catalog/catalog-service';
import { dawgMonitoring, EmailNotifier, ProactiveEngine, WebhookNotifier } from './proactive';
import { createRealtimeHub, type RealtimeHub } from './realtime';

export interface Storage {
  db: Db;
  kv: Kv;
  redis?: RedisClient;
}

/** DATABASE_URL → server PostgreSQL, else PGlite under the data dir; REDIS_URL → Redis, else in-process. */
export async function openStorage(config: ControlPlaneConfig, logger: Logger): Promise<Storage> {
  const { storage } = config;
  const pgliteDir = path.resolve(storage.dataDir, 'pglite');
  // initdb takes seconds (5–10 s on a 2-vCPU VM) with nothing else to show meanwhile.
  if (!storage.databaseUrl && !existsSync(path.join(pgliteDir, 'PG_VERSION'))) {
    logger.info('creating the embedded database (first start: this takes a few seconds)', { dir: pgliteDir });
  }
  const db = storage.databaseUrl
    ? await openPostgres({
        url: storage.databaseUrl,
        schema: storage.schema,
        poolSize: storage.poolSize,
        statementTimeoutMs: storage.statementTimeoutMs,
        logger,
      })
    : await openPglite({
        dataDir: pgliteDir,
        schema: storage.schema,
        settings: storage.pgliteSharedBuffers ? [`shared_buffers = ${storage.pgliteSharedBuffers}`] : [],
      });
  try {
    const { applied } = await migrate(db);
    if (applied.length) logger.info('database migrated', { applied });
    if (!storage.redisUrl) return { db, kv: new MemoryKv() };
    const redis = await connectRedis({ url: storage.redisUrl, connectTimeoutMs: 2_000, logger });
    return { db, redis, kv: new RedisKv(redis, storage.redisKeyPrefix) };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** How often pending command approvals past their time are expired (as denials). */
const APPROVAL_SWEEP_MS = 5_000;

/** A pending AI call older than this belongs to a process that stopped (calls time out long before). */
const ABANDONED_CALL_MS = 60 * 60_000;

export interface ControlPlane {
  app: Express;
  apiKeys: ApiKeyService;
  moduleRouter: ModuleRouter;
  /** Every control plane's metrics on this database (what the AI DAWG's monitoring reads); publishes this one's from start(). */
  clusterMetrics: ClusterMetrics;
  /** Absent when ENABLE_AGENT_SYSTEM=false. */
  agents?: AgentSystem;
  ai: AiRouterParts;
  /** The audit log: API requests, authentication failures and task events are recorded into it here; the firewall appends its own. */
  audit: AuditLog;
  /** Absent when ENABLE_MEMORY_LAYER=false. */
  memory?: MemoryLayer;
  /** Absent when TERMINAL_FIREWALL_ENABLED=false: no command can run then. */
  firewall?: TerminalFirewall;
  /** The music catalog: tracks published by deploy-to-catalog. */
  catalog: CatalogService;
  /** The proactive system; absent when PROACTIVE_ENABLED=false. */
  proactive?: ProactiveEngine;
  /** The WebSocket hub: `realtime.attach(server)` serves /ws on a listening server (main.ts; tests do the same). */
  realtime: RealtimeHub;
  /** Starts background work: this instance begins running queued agent tasks and schedules, and audit retention. */
  start(): Promise<void>;
  /** Stops background work (running tasks get `graceMs`) and releases what compose created; the storage belongs to the caller. */
  close(graceMs?: number): Promise<void>;
}

export interface ComposeOptions {
  /** The agents to register; the six of the blueprint by default. */
  agents?: readonly BaseAgent[];
  /** This control plane's name among those sharing the database (metrics' `instance` label, webhook messages); default host:pid. */
  instance?: string;
}

/** How often a control plane publishes its metrics for the others (server PostgreSQL only). */
const METRICS_PUBLISH_MS = 15_000;

/** The provider clients configured by the environment (keys, base URLs, local server), plus offline. */
export function buildProviders(config: ControlPlaneConfig): ProviderRegistry {
  const p = config.providers;
  const hosted = (apiKey: string | undefined, baseUrl: string | undefined) => (apiKey ? { apiKey, baseUrl } : undefined);
  return createProviderRegistry({
    openai: hosted(p.openaiApiKey, p.openaiBaseUrl),
    anthropic: hosted(p.anthropicApiKey, p.anthropicBaseUrl),
    google: hosted(p.geminiApiKey, p.geminiBaseUrl),
    mistral: hosted(p.mistralApiKey, p.mistralBaseUrl),
    local: p.local ? { baseUrl: p.local.baseUrl, apiKey: p.local.apiKey } : undefined,
    llamaindex: p.llamaindex,
    // Offline vectors fit the memory layer's column.
    offline: { embeddingDimensions: config.memory.vectorDimension },
    defaultTimeoutMs: config.aiRouter.timeoutMs,
  });
}

/** An agent task or workflow state change, as an audit entry (progress is no state change and is left out). */
function recordTaskEvents(agents: AgentSystem, audit: AuditLog): void {
  agents.bus.on('event', (event: TaskEvent) => {
    if (event.type === 'task.progress') return;
    audit.record({
      type: 'task.event',
      actor: event.agent ?? 'system',
      subject: event.jobId,
      outcome: event.type,
      details: { event: event.type, taskId: event.jobId, agent: event.agent, taskType: event.taskType, workflowId: event.workflowId, data: event.data },
    });
  });
}

/**
 * The memory graph records who did what as work happens: when a task ends, user (the key
 * that queued it) → session → task → agent → project/track, from the task's payload.
 */
function recordWorkInGraph(agents: AgentSystem, db: Storage['db'], memory: MemoryLayer, logger: Logger): void {
  agents.bus.on('event', (event: TaskEvent) => {
    if (event.type !== 'task.completed' && event.type !== 'task.failed') return;
    void (async () => {
      const [task] = await db.query<{ created_by: string | null; payload: Record<string, unknown> | null }>('SELECT created_by, payload FROM tasks WHERE id = $1', [event.jobId]);
      if (!task) return;
      const p = task.payload ?? {};
      const key = (v: unknown) => (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9:._@-]{0,199}$/.test(v) ? v : undefined);
      await memory.graph.recordWork({
        taskId: event.jobId,
        agent: event.agent!,
        ...(task.created_by ? { userId: task.created_by } : {}),
        ...(key(p.sessionId) ? { sessionId: key(p.sessionId) } : {}),
        ...(key(p.projectId) ? { projectId: key(p.projectId) } : {}),
        ...(key(p.trackId) ? { trackId: key(p.trackId) } : {}),
      });
    })().catch((err: unknown) => logger.warn('could not record work in the memory graph', { taskId: event.jobId, reason: (err as Error).message }));
  });
}

/** Builds every control-plane service from config and open storage. main.ts and the tests share it. */
export async function composeControlPlane(config: ControlPlaneConfig, logger: Logger, storage: Storage, options: ComposeOptions = {}): Promise<ControlPlane> {
  const startedAt = Date.now();
  const apiKeys = new ApiKeyService(storage.db, { integrationToken: config.auth.integrationToken });
  const moduleRouter = new ModuleRouter(config.dawg, logger);
  const health = new HealthService(storage.db, storage.kv, moduleRouter);
  const providers = buildProviders(config);
  // Process metrics start observers that live as long as the process: not once per app in tests.
  const metrics = new Metrics({ processMetrics: config.env !== 'test' });
  const ai = createAiRouter({
    observe: (attempt) => metrics.aiAttempt(attempt),
    config: config.aiRouter,
    db: storage.db,
    logger,
    chatProviders: providers.chat,
    musicProviders: new Set([...(config.providers.sunoApiKey ? ['suno' as const] : []), ...(config.providers.udioApiKey ? ['udio' as const] : [])]),
    localModel: config.providers.local ? { model: config.providers.local.model, contextTokens: config.providers.local.contextTokens } : undefined,
    localEmbedding: config.providers.local?.embedding,
  });
  logger.info('AI providers', { configured: providers.configured, default: providers.configured.length ? undefined : 'offline' });
  const witness = config.audit.witnessFile ? new AuditWitnessFile({ file: config.audit.witnessFile, db: witnessDatabase(config, storage.db), onError: (message) => logger.warn(message) }) : undefined;
  const audit = new AuditLog({ db: storage.db, logger, redis: storage.redis, keyPrefix: config.storage.redisKeyPrefix, ...(witness ? { witness } : {}) });
  const retention = config.audit.retentionDays > 0 ? new AuditRetentionJob(audit, logger, { olderThanDays: config.audit.retentionDays }) : undefined;
  const instance = options.instance ?? processInstanceName();
  const clusterMetrics = new ClusterMetrics({ db: storage.db, metrics, instance, publishIntervalMs: METRICS_PUBLISH_MS, logger });
  // A bad policy file stops start-up with the offending field named.
  const firewall = config.features.terminalFirewall
    ? new TerminalFirewall({
        db: storage.db,
        audit,
        metrics: metrics.firewallCounters(),
        logger: childWithLevel(logger, { component: 'terminal-firewall' }, config.firewall.logLevel),
        policyFile: config.firewall.policyFile ? path.resolve(config.firewall.policyFile) : DEFAULT_POLICY_FILE,
        baseDir: process.cwd(),
        overrides: { kubectl: config.firewall.requireApprovalForKubectl, terraform: config.firewall.requireApprovalForTerraform },
        approvalTtlMs: config.firewall.approvalTtlMs,
      })
    : undefined;
  const memory = config.features.memoryLayer
    ? await createMemoryLayer({ db: storage.db, kv: storage.kv, logger, embeddingProviders: providers.embedding, catalog: ai.catalog, vectorDimension: config.memory.vectorDimension, embeddingModel: config.memory.embeddingModel, embeddingCacheDays: config.memory.embeddingCacheDays })
    : undefined;
  const catalog = new CatalogService({ db: storage.db, moduleRouter, config: config.catalog, publicUrl: config.http.publicUrl, firewall, logger: logger.child({ component: 'catalog' }) });
  let expiryTimer: NodeJS.Timeout | undefined;
  let agents: AgentSystem | undefined;
  if (config.features.agentSystem) {
    agents = new AgentSystem({ db: storage.db, moduleRouter, logger, config: config.agents, agents: options.agents ?? createDefaultAgents(), ai: ai.service, memory: memory?.manager, catalog, apiKeys });
    await agents.migrate();
    recordTaskEvents(agents, audit);
    metrics.countTasks(agents.bus);
    if (memory) recordWorkInGraph(agents, storage.db, memory, logger);
  }
  const analyticsSource: JarvisSourceState =
    storage.db.kind === 'pglite'
      ? {
          available: true,
          source: new JarvisSnapshotSource({
            db: storage.db,
            logger,
            // The copy's fresh database, kept for the next start's first worker (4 s → 1 s).
            template: new SnapshotTemplate({ file: path.resolve(config.storage.dataDir, 'cache', 'analytics-snapshot-template.tar.gz'), logger }),
          }),
        }
      : await JarvisReadOnlySource.open({ db: storage.db, url: config.storage.databaseUrl, secret: config.dawg.serviceToken, logger });
  const webhook = config.proactive.enabled && config.proactive.webhook ? new WebhookNotifier({ ...config.proactive.webhook, instance }, logger.child({ component: 'proactive-webhook' })) : undefined;
  const email = config.proactive.enabled && config.proactive.email ? new EmailNotifier({ ...config.proactive.email, instance }, logger.child({ component: 'proactive-email' })) : undefined;
  const channels = [webhook, email].filter((c) => c !== undefined);
  for (const channel of channels) channel.onDelivery((o) => metrics.notificationDelivery(o));
  const proactive = config.proactive.enabled
    ? new ProactiveEngine({
        sources: {
          db: storage.db,
          budgets: ai.budgets,
          dawg: moduleRouter,
          providerBreakers: ai.breakers,
          monitoring: dawgMonitoring(moduleRouter, config.proactive.intervalMs),
          agents: Boolean(agents),
          firewall: Boolean(firewall),
        },
        thresholds: config.proactive.thresholds,
        quietHours: config.proactive.quietHours,
        adaptive: config.proactive.adaptive,
        ...(webhook ? { webhook } : {}),
        ...(email ? { email } : {}),
        logger: logger.child({ component: 'proactive' }),
      })
    : undefined;
  const authFailures = authFailureGate({ limits: config.rateLimits, redis: storage.redis, keyPrefix: config.storage.redisKeyPrefix });
  const app = buildApp({ config, logger, ...storage, apiKeys, moduleRouter, health, agents, ai, audit, firewall, metrics, clusterMetrics, memory, analyticsSource, catalog, proactive, authFailures, startedAt });
  // Last: with Redis it opens a reading connection (XREAD on the events stream), which nothing after it could leave dangling.
  const realtime = await createRealtimeHub({
    config: config.realtime,
    logger: logger.child({ component: 'realtime' }),
    db: storage.db,
    redis: storage.redis,
    redisKeyPrefix: config.storage.redisKeyPrefix,
    apiKeys,
    authFailures,
    // req.ip's derivation (express uses proxy-addr with the app's compiled TRUST_PROXY).
    clientIp: (req) => proxyaddr(req, app.get('trust proxy fn') as (addr: string, i: number) => boolean),
    health,
    agents,
    budgets: ai.budgets,
    firewall,
    audit,
    proactive: Boolean(proactive),
  });
  proactive?.onPush((event, suggestion, visibleTo) => realtime.pushSuggestion(event, suggestion, visibleTo));
  metrics.watch({
    dawgCircuit: () => moduleRouter.breakerState,
    providerCircuits: () => ai.breakers.states(),
    websocketConnections: () => realtime.stats().connections,
    notificationChannels: () => channels.map((c) => [c.channel, c.failing] as [string, boolean]),
  });
  return {
    app,
    apiKeys,
    moduleRouter,
    clusterMetrics,
    agents,
    memory,
    ai,
    audit,
    firewall,
    catalog,
    proactive,
    realtime,
    start: async () => {
      if (firewall) {
        expiryTimer = setInterval(() => {
          firewall.expireDue().catch((err: unknown) => logger.error('expiring command approvals failed', { err }));
        }, APPROVAL_SWEEP_MS);
        expiryTimer.unref();
      }
      // Calls a dead process left mid-flight are booked at their upper bound.
      const abandoned = await ai.ledger.settleAbandoned(ABANDONED_CALL_MS);
      if (abandoned) logger.warn('AI calls left pending by a stopped process were booked at their upper-bound cost', { abandoned });
      await ai.latency.start();
      await agents?.start();
      retention?.start();
      proactive?.start(config.proactive.intervalMs);
      clusterMetrics.start();
      // The DAWG's manifest says which actions may run long; read it before the first call needs it.
      void moduleRouter.prefetchManifest();
    },
    close: async (graceMs) => {
      // First: clients are told (1001) before the services behind their events stop.
      await realtime.close();
      clearInterval(expiryTimer);
      await proactive?.stop();
      await clusterMetrics.stop();
      await firewall?.close();
      await retention?.stop();
      await agents?.stop(graceMs);
      ai.breakers.shutdown();
      await ai.latency.stop();
      moduleRouter.close();
      if (analyticsSource.available) await analyticsSource.source.close();
      // Last: what the steps above recorded (task events of stopping tasks) is written too.
      await audit.close();
    },
  };
}

/** Which database an audit witness line is about: backend, where it is and the schema (never credentials). */
function witnessDatabase(config: ControlPlaneConfig, db: Db): string {
  if (!config.storage.databaseUrl) return `${db.kind}:${path.resolve(config.storage.dataDir, 'pglite')}/${db.schema}`;
  const url = new URL(config.storage.databaseUrl);
  return `${db.kind}:${url.hostname}:${url.port || '5432'}${url.pathname}/${db.schema}`;
}
