import type { DbKind } from '../../src/common/db';
import { MemoryKv, RedisKv, type RedisClient } from '../../src/common/kv';
import type { Logger } from '../../src/common/logger';
import { composeControlPlane, type ComposeOptions, type ControlPlane } from '../../src/control-plane/compose';
import { openTestDb, type TestDb } from './db';
import { silentLogger } from './logger';
import { listen, testConfig, type Listening } from './servers';

export interface TestPlane extends ControlPlane {
  testDb: TestDb;
  /** An API key with admin and devops scopes. */
  adminKey: string;
  /** An API key with no extra scope (integration tier only). */
  userKey: string;
  /** The user key's id (what the control plane records as its owner and sends to the DAWG as the actor). */
  userKeyId: string;
  stop(): Promise<void>;
}

export interface TestPlaneOptions {
  kind?: DbKind;
  env?: Record<string, string | undefined>;
  redis?: RedisClient;
  logger?: Logger;
  testDb?: TestDb;
  /** Run queued agent tasks in this plane (off by default: most tests only need the API). */
  runTasks?: boolean;
  agents?: ComposeOptions['agents'];
  /** The plane's instance name (metrics' `instance` label). */
  instance?: string;
}

/** Builds the control plane exactly as main.ts does, on a test database of its own. */
export async function startTestPlane(options: TestPlaneOptions = {}): Promise<TestPlane> {
  const testDb = options.testDb ?? (await openTestDb(options.kind ?? 'postgres'));
  const config = testConfig(options.env);
  const kv = options.redis ? new RedisKv(options.redis, config.storage.redisKeyPrefix) : new MemoryKv();
  const plane = await composeControlPlane(config, options.logger ?? silentLogger(), { db: testDb.db, kv, redis: options.redis }, { agents: options.agents, instance: options.instance });
  if (options.runTasks) await plane.start();
  const admin = await plane.apiKeys.create('test-admin', ['admin', 'devops']);
  const user = await plane.apiKeys.create('test-user', []);
  return {
    ...plane,
    testDb,
    adminKey: admin.key,
    userKey: user.key,
    userKeyId: user.id,
    async stop() {
      await plane.close(100);
      if (!options.testDb) await testDb.drop();
    },
  };
}

/**
 * Listens on an ephemeral port with the WebSocket hub serving /ws, as main.ts does. `close`
 * closes the hub first: upgraded sockets would otherwise keep the server from closing.
 */
export async function listenWithHub(plane: ControlPlane): Promise<Listening & { wsUrl: string }> {
  const listening = await listen(plane.app);
  const detach = plane.realtime.attach(listening.server);
  return {
    ...listening,
    wsUrl: `ws://127.0.0.1:${listening.port}/ws`,
    async close() {
      detach();
      await plane.realtime.close();
      await listening.close();
    },
  };
}
