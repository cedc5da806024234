import type { DbKind } from '../../src/common/db';
import { MemoryKv, RedisKv, type RedisClient } from '../../src/common/kv';
import type { Logger } from '../../src/common/logger';
import { composeControlPlane, type ControlPlane } from '../../src/control-plane/compose';
import { openTestDb, type TestDb } from './db';
import { silentLogger } from './logger';
import { testConfig } from './servers';

export interface TestPlane extends ControlPlane {
  testDb: TestDb;
  /** An API key with admin and devops scopes. */
  adminKey: string;
  /** An API key with no extra scope (integration tier only). */
  userKey: string;
  stop(): Promise<void>;
}

export interface TestPlaneOptions {
  kind?: DbKind;
  env?: Record<string, string | undefined>;
  redis?: RedisClient;
  logger?: Logger;
  testDb?: TestDb;
}

/** Builds the control plane exactly as main.ts does, on a test database of its own. */
export async function startTestPlane(options: TestPlaneOptions = {}): Promise<TestPlane> {
  const testDb = options.testDb ?? (await openTestDb(options.kind ?? 'postgres'));
  const config = testConfig(options.env);
  const kv = options.redis ? new RedisKv(options.redis, config.storage.redisKeyPrefix) : new MemoryKv();
  const plane = composeControlPlane(config, options.logger ?? silentLogger(), { db: testDb.db, kv, redis: options.redis });
  const admin = await plane.apiKeys.create('test-admin', ['admin', 'devops']);
  const user = await plane.apiKeys.create('test-user', []);
  return {
    ...plane,
    testDb,
    adminKey: admin.key,
    userKey: user.key,
    async stop() {
      plane.close();
      if (!options.testDb) await testDb.drop();
    },
  };
}
