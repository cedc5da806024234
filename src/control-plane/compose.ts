import path from 'node:path';
import type { Express } from 'express';
import { migrate, openPglite, openPostgres, type Db } from '../common/db';
import { connectRedis, MemoryKv, RedisKv, type Kv, type RedisClient } from '../common/kv';
import type { Logger } from '../common/logger';
import { buildApp } from './app';
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
  /** Releases what compose created; the storage belongs to the caller. */
  close(): void;
}

/** Builds every control-plane service from config and open storage. main.ts and the tests share it. */
export function composeControlPlane(config: ControlPlaneConfig, logger: Logger, storage: Storage): ControlPlane {
  const startedAt = Date.now();
  const apiKeys = new ApiKeyService(storage.db, { integrationToken: config.auth.integrationToken });
  const moduleRouter = new ModuleRouter(config.dawg, logger);
  const health = new HealthService(storage.db, storage.kv, moduleRouter);
  const app = buildApp({ config, logger, ...storage, apiKeys, moduleRouter, health, startedAt });
  return { app, apiKeys, moduleRouter, close: () => moduleRouter.close() };
}
