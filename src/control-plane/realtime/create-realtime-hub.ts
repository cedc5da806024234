import type { IncomingMessage } from 'node:http';
import type { Db } from '../../common/db';
import type { RedisClient } from '../../common/kv';
import type { Logger } from '../../common/logger';
import type { AuditLog } from '../audit';
import type { ApiKeyService } from '../auth';
import type { AuthFailureGate } from '../http/rate-limit.middleware';
import type { RealtimeConfig } from '../config';
import type { TerminalFirewall } from '../firewall';
import type { HealthService } from '../health';
import { ChannelAccess } from './channel-access';
import type { EventSources } from './event-sources';
import { JobOwners } from './job-owners';
import { MemoryRealtimeBus, type RealtimeBus } from './realtime-bus';
import { RealtimeHub } from './realtime-hub';
import { RedisRealtimeBus } from './redis-realtime-bus';

export interface CreateRealtimeHubOptions {
  config: RealtimeConfig;
  logger: Logger;
  db: Db;
  /** Present when REDIS_URL is set: events then fan out between instances through a Redis stream. */
  redis?: RedisClient;
  redisKeyPrefix: string;
  apiKeys: Pick<ApiKeyService, 'authenticate' | 'authenticateFromMemory'>;
  /** Failed authentications per address, shared with the HTTP API (compose.ts builds one for both). */
  authFailures?: Pick<AuthFailureGate, 'retryAfterSeconds' | 'failed'>;
  /** The client's address as the HTTP API derives it (compose.ts: the app's trust proxy setting). */
  clientIp?: (req: IncomingMessage) => string | undefined;
  health: Pick<HealthService, 'detailed'>;
  /** Task events; absent when ENABLE_AGENT_SYSTEM=false (then `tasks` and `jobs/<id>` are refused). */
  agents?: EventSources['agents'];
  /** AI spend and budget alerts. */
  budgets: EventSources['budgets'];
  /** Approvals to forward and decide; absent when TERMINAL_FIREWALL_ENABLED=false (then `approvals` is refused). */
  firewall?: Pick<TerminalFirewall, 'decide' | 'on' | 'off'>;
  audit?: Pick<AuditLog, 'record'>;
  /** PROACTIVE_ENABLED: the `suggestions` channel is offered. */
  proactive?: boolean;
}

/** Builds the hub and its bus (a Redis stream when a client is given, else in-process); compose.ts calls it. */
export async function createRealtimeHub(options: CreateRealtimeHubOptions): Promise<RealtimeHub> {
  const bus: RealtimeBus = options.redis
    ? await RedisRealtimeBus.open({ redis: options.redis, keyPrefix: options.redisKeyPrefix, logger: options.logger })
    : new MemoryRealtimeBus();
  const access = new ChannelAccess({ owners: new JobOwners(options.db), agents: Boolean(options.agents), firewall: Boolean(options.firewall), proactive: options.proactive });
  return new RealtimeHub({
    config: options.config,
    logger: options.logger,
    apiKeys: options.apiKeys,
    authFailures: options.authFailures,
    clientIp: options.clientIp,
    bus,
    access,
    sources: { agents: options.agents, budgets: options.budgets, firewall: options.firewall },
    health: options.health,
    firewall: options.firewall,
    audit: options.audit,
  });
}
