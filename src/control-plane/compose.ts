import path from 'node:path';
import type { Express } from 'express';
import { migrate, openPglite, openPostgres, type Db } from '../common/db';
import { connectRedis, MemoryKv, RedisKv, type Kv, type RedisClient } from '../common/kv';
import type { Logger } from '../common/logger';
import { buildApp } from './app';
import { AgentSystem, createDefaultAgents, type BaseAgent } from './agents';
import { ApiKeyService } from './auth';
import type { ControlPlaneConfig } from './config';
import { ModuleRouter } from './dawg-client';
import { HealthService } from './health';

export interface Storage {
  db: Db;
  kv: Kv;
  redis?: RedisClient;
}

/** DATABASE_URL → server PostgreSQL, else PGlite under the data dir; REDIS_URL → Redis, else in-process. */
export async function openStorage(config: ControlPlaneConfig, logger: Logger): Promise<Storage> {
  const { storage } = config;
  const db = storage.databaseUrl
    ? await openPostgres({
        url: storage.databaseUrl,
        schema: storage.schema,
        poolSize: storage.poolSize,
        statementTimeoutMs: storage.statementTimeoutMs,
        logger,
      })
    : await openPglite({ dataDir: path.resolve(storage.dataDir, 'pglite'), schema: storage.schema });
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

export interface ControlPlane {
  app: Express;
  apiKeys: ApiKeyService;
  moduleRouter: ModuleRouter;
  /** Absent when ENABLE_AGENT_SYSTEM=false. */
  agents?: AgentSystem;
  /** Starts background work: this instance begins running queued agent tasks and schedules. */
  start(): Promise<void>;
  /** Stops background work (running tasks get `graceMs`) and releases what compose created; the storage belongs to the caller. */
  close(graceMs?: number): Promise<void>;
}

export interface ComposeOptions {
  /** The agents to register; the six of the blueprint by default. */
  agents?: readonly BaseAgent[];
}

/** Builds every control-plane service from config and open storage. main.ts and the tests share it. */
export async function composeControlPlane(config: ControlPlaneConfig, logger: Logger, storage: Storage, options: ComposeOptions = {}): Promise<ControlPlane> {
  const startedAt = Date.now();
  const apiKeys = new ApiKeyService(storage.db, { integrationToken: config.auth.integrationToken });
  const moduleRouter = new ModuleRouter(config.dawg, logger);
  const health = new HealthService(storage.db, storage.kv, moduleRouter);
  let agents: AgentSystem | undefined;
  if (config.features.agentSystem) {
    agents = new AgentSystem({ db: storage.db, moduleRouter, logger, config: config.agents, agents: options.agents ?? createDefaultAgents() });
    await agents.migrate();
  }
  const app = buildApp({ config, logger, ...storage, apiKeys, moduleRouter, health, agents, startedAt });
  return {
    app,
    apiKeys,
    moduleRouter,
    agents,
    start: async () => {
      await agents?.start();
    },
    close: async (graceMs) => {
      await agents?.stop(graceMs);
      moduleRouter.close();
    },
  };
}
