import path from 'node:path';
import { z } from 'zod';
import { envBool, envInt, envOptional, envPort, logLevel, parseEnv, serviceToken } from '../common/env';
import { checkSmtpPair, smtpFromSchema, smtpUrlSchema } from '../common/smtp';
import { numberFromText } from '../common/validation';
import { parseShares } from './ai-router/strategies';
import type { AdaptiveOptions } from './proactive/adaptive';
import { emailRecipientsSchema, type EmailOptions } from './proactive/email';
import { quietHoursSchema, timeZoneSchema, type QuietHours } from './proactive/quiet-hours';
import { SEVERITIES, type SignalThresholds } from './proactive/signals';
import { PAGERDUTY_EVENTS_URL, WEBHOOK_FORMATS, webhookUrlSchema, type WebhookOptions } from './proactive/webhook';

const apiKey = envOptional(z.string().min(1));
const url = envOptional(z.url({ message: 'must be a URL' }));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel,
  JARVIS_HOST: z.string().min(1).default('127.0.0.1'),
  JARVIS_PORT: envPort(4000),
  JARVIS_AUTH_TOKEN: envOptional(serviceToken),
  JARVIS_PUBLIC_URL: url,
  JARVIS_DATA_DIR: z.string().min(1).default('./data'),
  PGLITE_SHARED_BUFFERS: envOptional(z.string().regex(/^[1-9][0-9]{0,5}(kB|MB|GB)$/, 'must be a size such as 512MB or 1GB')),
  // JSON log files (both processes; the DAWG's devops query-logs reads them). Empty: stdout only.
  JARVIS_LOG_DIR: z.string().default('./data/logs'),
  JARVIS_BOOTSTRAP_KEY_FILE: envOptional(z.string().min(1)),

  AI_DAWG_BACKEND_URL: z.url({ message: 'must be a URL' }).default('http://127.0.0.1:3001'),
  AI_DAWG_SERVICE_TOKEN: serviceToken,
  AI_DAWG_TIMEOUT_MS: envInt(30_000, 100, 600_000),
  AI_DAWG_CONNECT_TIMEOUT_MS: envInt(300, 50, 10_000),
  AI_DAWG_RETRIES: envInt(2, 0, 5),
  AI_DAWG_BREAKER_RESET_MS: envInt(5_000, 100, 300_000),
  VOCAL_COACH_URL: url,
  PRODUCER_URL: url,

  // Music catalog (published tracks): files under $JARVIS_DATA_DIR/catalog, and in S3 (through the firewall's aws s3 cp) when a bucket is set.
  CATALOG_S3_BUCKET: envOptional(z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be an S3 bucket name')),
  CATALOG_S3_PREFIX: z.string().regex(/^([A-Za-z0-9!_.*()-]+\/)*$/, 'must be empty or path segments ending in /').default('tracks/'),
  CATALOG_PUBLIC_BASE_URL: url,
  CATALOG_APPROVAL_WAIT_MS: envInt(300_000, 1_000, 3_600_000),
  DATABASE_URL: envOptional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').default('public'),
  DATABASE_POOL_SIZE: envInt(10, 1, 200),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(30_000, 100, 3_600_000),
  REDIS_URL: envOptional(z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL')),
  REDIS_KEY_PREFIX: z.string().max(64).default('jarvis:'),

  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.url({ message: 'each origin must be a URL such as https://app.example.com' }))),
  JSON_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('1mb'),
  AUDIO_UPLOAD_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 200mb').default('200mb'),
  TRUST_PROXY: envInt(0, 0, 10),

  RATE_LIMIT_WINDOW_MS: envInt(60_000, 1_000, 3_600_000),
  RATE_LIMIT_HEALTH_MAX: envInt(1_000, 1, 1_000_000),
  RATE_LIMIT_EXECUTE_MAX: envInt(100, 1, 1_000_000),
  RATE_LIMIT_CHATGPT_MAX: envInt(50, 1, 1_000_000),
  RATE_LIMIT_DEVOPS_MAX: envInt(10, 1, 1_000_000),
  RATE_LIMIT_DEFAULT_MAX: envInt(300, 1, 1_000_000),
  RATE_LIMIT_AUTH_FAILURES_MAX: envInt(100, 1, 1_000_000),

  GEMINI_API_KEY: apiKey,
  OPENAI_API_KEY: apiKey,
  ANTHROPIC_API_KEY: apiKey,
  MISTRAL_API_KEY: apiKey,
  SUNO_API_KEY: apiKey,
  UDIO_API_KEY: apiKey,

  ENABLE_MEMORY_LAYER: envBool(true),
  VECTOR_DIMENSION: envInt(1536, 1, 16_000),
  TERMINAL_FIREWALL_ENABLED: envBool(true),
  TERMINAL_FIREWALL_LOG_LEVEL: logLevel,
  TERMINAL_REQUIRE_APPROVAL_FOR_KUBECTL: envBool(true),
  TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM: envBool(true),
  TERMINAL_FIREWALL_POLICY_FILE: envOptional(z.string().min(1)),
  TERMINAL_APPROVAL_TTL_MS: envInt(300_000, 1_000, 86_400_000),
  AUDIT_RETENTION_DAYS: envInt(90, 0, 36_500),
  // A file outside the database the audit chain's head is appended to, so verify sees entries cut off without Redis.
  AUDIT_WITNESS_FILE: envOptional(z.string().min(1).refine((f) => path.isAbsolute(f), 'must be an absolute path')),
  ENABLE_AGENT_SYSTEM: envBool(true),
  AGENT_MAX_CONCURRENT_TASKS: envInt(10, 1, 1_000),
  AGENT_MAX_CONCURRENT_PER_AGENT: envInt(5, 1, 1_000),
  AGENT_TASK_MAX_ATTEMPTS: envInt(3, 1, 20),
  AGENT_RETRY_BASE_MS: envInt(1_000, 10, 600_000),
  AGENT_RETRY_MAX_MS: envInt(60_000, 10, 3_600_000),
  AGENT_HEARTBEAT_MS: envInt(5_000, 100, 60_000),
  AGENT_WORKER_STALE_MS: envInt(30_000, 500, 600_000),
  AGENT_SCHEDULE_TICK_MS: envInt(1_000, 100, 60_000),
  AGENT_QUEUE_LOCAL_SIZE: envInt(200, 0, 10_000),
  AGENT_QUEUE_POLL_MS: envInt(2_000, 100, 60_000),
  AI_ROUTER_STRATEGY: z.enum(['cost-optimized', 'speed-optimized', 'quality-optimized', 'balanced']).default('balanced'),
  AI_ROUTER_MONTHLY_BUDGET: numberFromText().min(0, 'must not be negative').default(100),
  AI_ROUTER_BALANCED_SHARES: z
    .string()
    .default('gemini-pro=70,gpt-4o-mini=20,claude-sonnet-4.5=10,suno-v3=50,udio-v1=50')
    .transform((v, ctx) => {
      try {
        return parseShares(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be model=weight pairs separated by commas (${(err as Error).message})` });
        return z.NEVER;
      }
    }),
  AI_ROUTER_CATALOG_FILE: envOptional(z.string().min(1)),
  AI_ROUTER_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  AI_ROUTER_MAX_RETRIES: envInt(2, 0, 10),
  AI_ROUTER_RETRY_BASE_MS: envInt(500, 1, 60_000),
  AI_ROUTER_RETRY_MAX_MS: envInt(8_000, 1, 300_000),
  AI_ROUTER_MAX_RETRY_AFTER_MS: envInt(20_000, 0, 600_000),
  AI_ROUTER_MAX_CANDIDATES: envInt(3, 1, 20),
  AI_ROUTER_BREAKER_COOLDOWN_MS: envInt(30_000, 100, 3_600_000),
  OPENAI_BASE_URL: url,
  ANTHROPIC_BASE_URL: url,
  GEMINI_BASE_URL: url,
  MISTRAL_BASE_URL: url,
  LOCAL_LLM_URL: url,
  LOCAL_LLM_API_KEY: apiKey,
  LOCAL_LLM_MODEL: z.string().min(1).max(200).default('llama3.1'),
  LOCAL_LLM_CONTEXT_TOKENS: envInt(8_192, 512, 10_000_000),
  LOCAL_EMBEDDING_MODEL: envOptional(z.string().min(1).max(200)),
  LOCAL_EMBEDDING_DIMENSIONS: envInt(768, 1, 16_000),
  MEMORY_EMBEDDING_MODEL: envOptional(z.string().min(1).max(64)),
  MEMORY_EMBEDDING_CACHE_DAYS: envInt(90, 0, 36_500),
  LLAMAINDEX_API_KEY: apiKey,
  LLAMAINDEX_BASE_URL: url,
  LLAMAINDEX_PIPELINE_ID: envOptional(z.string().min(1).max(200)),
  WS_HEARTBEAT_MS: envInt(30_000, 50, 600_000),
  WS_MAX_BUFFERED_BYTES: envInt(1_048_576, 1_024, 268_435_456),
  WS_AUTH_TIMEOUT_MS: envInt(5_000, 50, 60_000),
  WS_HEALTH_INTERVAL_MS: envInt(10_000, 100, 3_600_000),
  WS_MAX_CONNECTIONS: envInt(1_000, 1, 100_000),

  // Proactive system (docs/PROACTIVE.md): suggestions from budget burn, task failures, approvals, breakers, schedules.
  PROACTIVE_ENABLED: envBool(true),
  PROACTIVE_INTERVAL_MS: envInt(60_000, 100, 3_600_000),
  PROACTIVE_QUIET_HOURS: envOptional(quietHoursSchema),
  PROACTIVE_TIMEZONE: timeZoneSchema.default('UTC'),
  PROACTIVE_FAILURE_THRESHOLD: envInt(3, 1, 1_000),
  PROACTIVE_FAILURE_WINDOW_MS: envInt(3_600_000, 60_000, 604_800_000),
  PROACTIVE_APPROVAL_WARN_MS: envInt(120_000, 1_000, 86_400_000),
  PROACTIVE_SCHEDULE_GRACE_MS: envInt(900_000, 60_000, 604_800_000),
  // Adaptive engine: a key that dismissed one subject this many times within the window is not pushed it again (0: off).
  PROACTIVE_MUTE_AFTER_DISMISSALS: envInt(3, 0, 100),
  PROACTIVE_MUTE_WINDOW_MS: envInt(1_209_600_000, 3_600_000, 7_776_000_000),
  // Webhook: suggestions sent to an operations channel as they are raised, change severity and resolve.
  PROACTIVE_WEBHOOK_URL: envOptional(webhookUrlSchema),
  PROACTIVE_WEBHOOK_FORMAT: z.enum(WEBHOOK_FORMATS).default('json'),
  PROACTIVE_WEBHOOK_SECRET: envOptional(z.string().min(16, 'must be at least 16 characters')),
  PROACTIVE_WEBHOOK_MIN_SEVERITY: z.enum(SEVERITIES).default('warning'),
  // PagerDuty (PROACTIVE_WEBHOOK_FORMAT=pagerduty): the Events API v2 integration's routing key.
  PROACTIVE_PAGERDUTY_ROUTING_KEY: envOptional(z.string().regex(/^[A-Za-z0-9]{20,64}$/, "must be a PagerDuty integration's routing key (20-64 letters and digits)")),
  // E-mail: suggestions mailed to these addresses over SMTP_URL, from SMTP_FROM (the variables the DAWG's campaign e-mail uses).
  PROACTIVE_EMAIL_TO: envOptional(emailRecipientsSchema),
  PROACTIVE_EMAIL_MIN_SEVERITY: z.enum(SEVERITIES).default('warning'),
  SMTP_URL: smtpUrlSchema,
  SMTP_FROM: smtpFromSchema,
}).superRefine((e, ctx) => {
  if (e.PROACTIVE_EMAIL_TO && !e.SMTP_URL) ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required with PROACTIVE_EMAIL_TO: the SMTP server that sends suggestion e-mail, e.g. smtp://user:password@mail.example.com:587' });
  checkSmtpPair(e, ctx, 'suggestion and campaign e-mail');
  if (e.PROACTIVE_WEBHOOK_FORMAT === 'pagerduty' && !e.PROACTIVE_PAGERDUTY_ROUTING_KEY) {
    ctx.addIssue({ code: 'custom', path: ['PROACTIVE_PAGERDUTY_ROUTING_KEY'], message: "is required with PROACTIVE_WEBHOOK_FORMAT=pagerduty: the Events API v2 integration's routing key" });
  }
  if (e.PROACTIVE_PAGERDUTY_ROUTING_KEY && e.PROACTIVE_WEBHOOK_FORMAT !== 'pagerduty') {
    ctx.addIssue({ code: 'custom', path: ['PROACTIVE_PAGERDUTY_ROUTING_KEY'], message: 'is used only with PROACTIVE_WEBHOOK_FORMAT=pagerduty' });
  }
  if (e.PROACTIVE_WEBHOOK_SECRET && e.PROACTIVE_WEBHOOK_FORMAT === 'pagerduty') {
    ctx.addIssue({ code: 'custom', path: ['PROACTIVE_WEBHOOK_SECRET'], message: 'signs json deliveries only: PagerDuty events are authenticated by their routing key' });
  }
  if (e.PROACTIVE_WEBHOOK_SECRET && !e.PROACTIVE_WEBHOOK_URL) {
    ctx.addIssue({ code: 'custom', path: ['PROACTIVE_WEBHOOK_URL'], message: 'PROACTIVE_WEBHOOK_SECRET is set but there is no webhook to sign for' });
  }
  if (e.PROACTIVE_WEBHOOK_SECRET && e.PROACTIVE_WEBHOOK_FORMAT === 'slack') {
    ctx.addIssue({ code: 'custom', path: ['PROACTIVE_WEBHOOK_SECRET'], message: 'signs json deliveries only: a Slack incoming webhook is not signed (its URL is the secret)' });
  }
  if (Boolean(e.LLAMAINDEX_API_KEY) !== Boolean(e.LLAMAINDEX_PIPELINE_ID)) {
    ctx.addIssue({ code: 'custom', path: [e.LLAMAINDEX_API_KEY ? 'LLAMAINDEX_PIPELINE_ID' : 'LLAMAINDEX_API_KEY'], message: 'LlamaIndex needs both LLAMAINDEX_API_KEY and LLAMAINDEX_PIPELINE_ID' });
  }
});

export type Env = z.output<typeof schema>;

export interface AgentSystemConfig {
  /** Tasks one instance runs at once, all agents together (blueprint's AGENT_MAX_CONCURRENT_TASKS). */
  maxConcurrentTasks: number;
  /** Tasks of one agent one instance runs at once, so one busy agent cannot take every slot. */
  maxConcurrentPerAgent: number;
  /** Runs per task, first included, when failures are transient. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  heartbeatMs: number;
  /** An instance whose heartbeat is older than this is dead: its running tasks are recovered. */
  workerStaleMs: number;
  scheduleTickMs: number;
  /** Jobs a worker pool fetches ahead in one query (graphile-worker's local queue); 0 = off. */
  localQueueSize: number;
  pollIntervalMs: number;
}

export interface AiRouterConfig {
  strategy: Env['AI_ROUTER_STRATEGY'];
  monthlyBudgetUsd: number;
  shares: ReadonlyMap<string, number>;
  catalogFile?: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetryAfterMs: number;
  maxCandidates: number;
  breakerCooldownMs: number;
}

/** The WebSocket hub (docs/WEBSOCKET.md). */
export interface RealtimeConfig {
  /** Ping interval; a socket that has not answered the previous ping is cut. */
  heartbeatMs: number;
  /** Bytes waiting to be sent to one socket above which it is closed (4008) instead of queueing more. */
  maxBufferedBytes: number;
  /** Time a socket without a credential header has to send its `auth` message (else 4002). */
  authTimeoutMs: number;
  /** How often `health` subscribers get a summary. */
  healthIntervalMs: number;
  /** Sockets one instance accepts; more are closed with 1013. */
  maxConnections: number;
}

export interface ControlPlaneConfig {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  /** Where JSON log files go besides stdout; undefined: stdout only. */
  logDir: string | undefined;
  http: {
    host: string;
    port: number;
    corsOrigins: string[];
    jsonBodyLimit: string;
    /** Largest WAV accepted by POST /api/v1/audio/files. */
    audioUploadLimit: string;
    trustProxy: number;
    /** Where clients reach this control plane; the served OpenAPI document names it as its server. */
    publicUrl: string;
  };
  auth: {
    integrationToken?: string;
    /** When set, the first admin key is written to this file (mode 0600) instead of stdout, which may feed a log store. */
    bootstrapKeyFile?: string;
  };
  dawg: {
    baseUrl: string;
    serviceToken: string;
    timeoutMs: number;
    connectTimeoutMs: number;
    retries: number;
    breakerResetMs: number;
  };
  catalog: {
    /** Where published tracks' audio lives: $JARVIS_DATA_DIR/catalog. */
    dir: string;
    s3?: { bucket: string; prefix: string };
    /** Base URL of the bucket's public or CDN address; streamUrl points there when set (with S3). */
    publicBaseUrl?: string;
    /** How long a publish waits for an admin to approve the S3 upload before it withdraws the request. */
    approvalWaitMs: number;
  };
  storage: {
    databaseUrl?: string;
    dataDir: string;
    /** PGlite's shared_buffers (e.g. 1GB); unset: PGlite's default (128MB). */
    pgliteSharedBuffers?: string;
    schema: string;
    poolSize: number;
    statementTimeoutMs: number;
    redisUrl?: string;
    redisKeyPrefix: string;
  };
  rateLimits: {
    windowMs: number;
    health: number;
    execute: number;
    chatgpt: number;
    devops: number;
    default: number;
    /** Failed authentications per client IP per window before credentialed requests are refused unread. */
    authFailures: number;
  };
  features: {
    agentSystem: boolean;
    memoryLayer: boolean;
    terminalFirewall: boolean;
  };
  /** Settings of subsystems that later capabilities consume; parsed now so bad values fail at start. */
  agents: AgentSystemConfig;
  /**
   * vectorDimension: the offline embedder's size; embeddingModel: a catalog key (unset: chosen
   * from the configured providers); embeddingCacheDays: cached provider embeddings unused this
   * long are deleted (0: never).
   */
  memory: { vectorDimension: number; embeddingModel?: string; embeddingCacheDays: number };
  firewall: {
    logLevel: Env['LOG_LEVEL'];
    requireApprovalForKubectl: boolean;
    requireApprovalForTerraform: boolean;
    /** The policy file (JSON), relative to the working directory; unset: the package's config/firewall-policy.json. */
    policyFile?: string;
    /** Pending approvals expire (as denied) after this long. */
    approvalTtlMs: number;
  };
  /** Audit entries older than retentionDays are pruned daily (the chain stays verifiable); 0 keeps them forever. */
  audit: {
    retentionDays: number;
    /** AUDIT_WITNESS_FILE: where the chain's head is appended, outside the database. */
    witnessFile?: string;
  };
  aiRouter: AiRouterConfig;
  providers: {
    geminiApiKey?: string;
    openaiApiKey?: string;
    anthropicApiKey?: string;
    mistralApiKey?: string;
    sunoApiKey?: string;
    udioApiKey?: string;
    openaiBaseUrl?: string;
    anthropicBaseUrl?: string;
    geminiBaseUrl?: string;
    mistralBaseUrl?: string;
    local?: { baseUrl: string; apiKey?: string; model: string; contextTokens: number; embedding?: { model: string; dimensions: number } };
    llamaindex?: { apiKey: string; baseUrl?: string; pipelineId: string };
  };
  backends: { vocalCoachUrl?: string; producerUrl?: string };
  realtime: RealtimeConfig;
  proactive: {
    enabled: boolean;
    intervalMs: number;
    quietHours?: QuietHours;
    thresholds: SignalThresholds;
    adaptive: AdaptiveOptions;
    webhook?: WebhookOptions;
    /** PROACTIVE_EMAIL_TO with SMTP_URL and SMTP_FROM. */
    email?: EmailOptions;
  };
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object') deepFreeze(inner as object);
  }
  return Object.freeze(value);
}

/** Reads the control plane's whole configuration from the environment, once, at start. */
export function loadControlPlaneConfig(source: NodeJS.ProcessEnv): Readonly<ControlPlaneConfig> {
  const e = parseEnv(schema, source);
  return deepFreeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    logDir: e.JARVIS_LOG_DIR || undefined,
    http: {
      host: e.JARVIS_HOST,
      port: e.JARVIS_PORT,
      corsOrigins: e.CORS_ORIGINS,
      jsonBodyLimit: e.JSON_BODY_LIMIT,
      audioUploadLimit: e.AUDIO_UPLOAD_LIMIT,
      trustProxy: e.TRUST_PROXY,
      publicUrl: (e.JARVIS_PUBLIC_URL ?? `http://127.0.0.1:${e.JARVIS_PORT}`).replace(/\/+$/, ''),
    },
    auth: { integrationToken: e.JARVIS_AUTH_TOKEN, bootstrapKeyFile: e.JARVIS_BOOTSTRAP_KEY_FILE },
    dawg: {
      baseUrl: e.AI_DAWG_BACKEND_URL.replace(/\/+$/, ''),
      serviceToken: e.AI_DAWG_SERVICE_TOKEN,
      timeoutMs: e.AI_DAWG_TIMEOUT_MS,
      connectTimeoutMs: e.AI_DAWG_CONNECT_TIMEOUT_MS,
      retries: e.AI_DAWG_RETRIES,
      breakerResetMs: e.AI_DAWG_BREAKER_RESET_MS,
    },
    catalog: {
      dir: path.join(e.JARVIS_DATA_DIR, 'catalog'),
      ...(e.CATALOG_S3_BUCKET ? { s3: { bucket: e.CATALOG_S3_BUCKET, prefix: e.CATALOG_S3_PREFIX } } : {}),
      ...(e.CATALOG_PUBLIC_BASE_URL ? { publicBaseUrl: e.CATALOG_PUBLIC_BASE_URL.replace(/\/+$/, '') } : {}),
      approvalWaitMs: e.CATALOG_APPROVAL_WAIT_MS,
    },
    storage: {
      databaseUrl: e.DATABASE_URL,
      dataDir: e.JARVIS_DATA_DIR,
      pgliteSharedBuffers: e.PGLITE_SHARED_BUFFERS,
      schema: e.DATABASE_SCHEMA,
      poolSize: e.DATABASE_POOL_SIZE,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      redisUrl: e.REDIS_URL,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
    },
    rateLimits: {
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      health: e.RATE_LIMIT_HEALTH_MAX,
      execute: e.RATE_LIMIT_EXECUTE_MAX,
      chatgpt: e.RATE_LIMIT_CHATGPT_MAX,
      devops: e.RATE_LIMIT_DEVOPS_MAX,
      default: e.RATE_LIMIT_DEFAULT_MAX,
      authFailures: e.RATE_LIMIT_AUTH_FAILURES_MAX,
    },
    features: {
      agentSystem: e.ENABLE_AGENT_SYSTEM,
      memoryLayer: e.ENABLE_MEMORY_LAYER,
      terminalFirewall: e.TERMINAL_FIREWALL_ENABLED,
    },
    agents: {
      maxConcurrentTasks: e.AGENT_MAX_CONCURRENT_TASKS,
      maxConcurrentPerAgent: Math.min(e.AGENT_MAX_CONCURRENT_PER_AGENT, e.AGENT_MAX_CONCURRENT_TASKS),
      maxAttempts: e.AGENT_TASK_MAX_ATTEMPTS,
      retryBaseMs: e.AGENT_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.AGENT_RETRY_MAX_MS, e.AGENT_RETRY_BASE_MS),
      heartbeatMs: e.AGENT_HEARTBEAT_MS,
      workerStaleMs: Math.max(e.AGENT_WORKER_STALE_MS, e.AGENT_HEARTBEAT_MS * 3),
      scheduleTickMs: e.AGENT_SCHEDULE_TICK_MS,
      localQueueSize: e.AGENT_QUEUE_LOCAL_SIZE,
      pollIntervalMs: e.AGENT_QUEUE_POLL_MS,
    },
    memory: { vectorDimension: e.VECTOR_DIMENSION, embeddingModel: e.MEMORY_EMBEDDING_MODEL, embeddingCacheDays: e.MEMORY_EMBEDDING_CACHE_DAYS },
    firewall: {
      logLevel: e.TERMINAL_FIREWALL_LOG_LEVEL,
      requireApprovalForKubectl: e.TERMINAL_REQUIRE_APPROVAL_FOR_KUBECTL,
      requireApprovalForTerraform: e.TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM,
      policyFile: e.TERMINAL_FIREWALL_POLICY_FILE,
      approvalTtlMs: e.TERMINAL_APPROVAL_TTL_MS,
    },
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS, ...(e.AUDIT_WITNESS_FILE ? { witnessFile: e.AUDIT_WITNESS_FILE } : {}) },
    aiRouter: {
      strategy: e.AI_ROUTER_STRATEGY,
      monthlyBudgetUsd: e.AI_ROUTER_MONTHLY_BUDGET,
      shares: e.AI_ROUTER_BALANCED_SHARES,
      catalogFile: e.AI_ROUTER_CATALOG_FILE,
      timeoutMs: e.AI_ROUTER_TIMEOUT_MS,
      maxRetries: e.AI_ROUTER_MAX_RETRIES,
      retryBaseMs: e.AI_ROUTER_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.AI_ROUTER_RETRY_MAX_MS, e.AI_ROUTER_RETRY_BASE_MS),
      maxRetryAfterMs: e.AI_ROUTER_MAX_RETRY_AFTER_MS,
      maxCandidates: e.AI_ROUTER_MAX_CANDIDATES,
      breakerCooldownMs: e.AI_ROUTER_BREAKER_COOLDOWN_MS,
    },
    providers: {
      geminiApiKey: e.GEMINI_API_KEY,
      openaiApiKey: e.OPENAI_API_KEY,
      anthropicApiKey: e.ANTHROPIC_API_KEY,
      mistralApiKey: e.MISTRAL_API_KEY,
      sunoApiKey: e.SUNO_API_KEY,
      udioApiKey: e.UDIO_API_KEY,
      openaiBaseUrl: e.OPENAI_BASE_URL,
      anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
      geminiBaseUrl: e.GEMINI_BASE_URL,
      mistralBaseUrl: e.MISTRAL_BASE_URL,
      local: e.LOCAL_LLM_URL
        ? {
            baseUrl: e.LOCAL_LLM_URL,
            apiKey: e.LOCAL_LLM_API_KEY,
            model: e.LOCAL_LLM_MODEL,
            contextTokens: e.LOCAL_LLM_CONTEXT_TOKENS,
            embedding: e.LOCAL_EMBEDDING_MODEL ? { model: e.LOCAL_EMBEDDING_MODEL, dimensions: e.LOCAL_EMBEDDING_DIMENSIONS } : undefined,
          }
        : undefined,
      llamaindex:
        e.LLAMAINDEX_API_KEY && e.LLAMAINDEX_PIPELINE_ID ? { apiKey: e.LLAMAINDEX_API_KEY, baseUrl: e.LLAMAINDEX_BASE_URL, pipelineId: e.LLAMAINDEX_PIPELINE_ID } : undefined,
    },
    backends: { vocalCoachUrl: e.VOCAL_COACH_URL, producerUrl: e.PRODUCER_URL },
    realtime: {
      heartbeatMs: e.WS_HEARTBEAT_MS,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      authTimeoutMs: e.WS_AUTH_TIMEOUT_MS,
      healthIntervalMs: e.WS_HEALTH_INTERVAL_MS,
      maxConnections: e.WS_MAX_CONNECTIONS,
    },
    proactive: {
      enabled: e.PROACTIVE_ENABLED,
      intervalMs: e.PROACTIVE_INTERVAL_MS,
      ...(e.PROACTIVE_QUIET_HOURS ? { quietHours: { ...e.PROACTIVE_QUIET_HOURS, timeZone: e.PROACTIVE_TIMEZONE } } : {}),
      thresholds: {
        failureThreshold: e.PROACTIVE_FAILURE_THRESHOLD,
        failureWindowMs: e.PROACTIVE_FAILURE_WINDOW_MS,
        approvalWarnMs: e.PROACTIVE_APPROVAL_WARN_MS,
        scheduleGraceMs: e.PROACTIVE_SCHEDULE_GRACE_MS,
        burnWindowDays: 7,
      },
      adaptive: { muteAfter: e.PROACTIVE_MUTE_AFTER_DISMISSALS, windowMs: e.PROACTIVE_MUTE_WINDOW_MS },
      // PagerDuty has one documented endpoint: the URL may be left out (EU accounts set theirs).
      ...(e.PROACTIVE_WEBHOOK_URL || e.PROACTIVE_WEBHOOK_FORMAT === 'pagerduty'
        ? {
            webhook: {
              url: e.PROACTIVE_WEBHOOK_URL ?? PAGERDUTY_EVENTS_URL,
              format: e.PROACTIVE_WEBHOOK_FORMAT,
              minSeverity: e.PROACTIVE_WEBHOOK_MIN_SEVERITY,
              ...(e.PROACTIVE_WEBHOOK_SECRET ? { secret: e.PROACTIVE_WEBHOOK_SECRET } : {}),
              ...(e.PROACTIVE_PAGERDUTY_ROUTING_KEY ? { routingKey: e.PROACTIVE_PAGERDUTY_ROUTING_KEY } : {}),
            },
          }
        : {}),
      ...(e.PROACTIVE_EMAIL_TO && e.SMTP_URL && e.SMTP_FROM ? { email: { url: e.SMTP_URL, from: e.SMTP_FROM, to: e.PROACTIVE_EMAIL_TO, minSeverity: e.PROACTIVE_EMAIL_MIN_SEVERITY } } : {}),
    },
  });
}
