import { createServer, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { loadControlPlaneConfig, type ControlPlaneConfig } from '../../src/control-plane/config';
import { buildDawgApp } from '../../src/dawg/app';
import { createTestingModule } from '../../src/dawg/modules/testing';
import { ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from './logger';

export const SERVICE_TOKEN = 'test-service-token-0123456789abcdef0123456789';
export const INTEGRATION_TOKEN = 'test-integration-token-0123456789abcdef012345';

export interface Listening {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** A port nothing listens on right now (taken and released: a test still has to bind it soon). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function listen(app: Express, port = 0): Promise<Listening> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestDawg extends Listening {
  registry: ModuleRegistry;
}

/** The real DAWG app on an ephemeral port, with the testing module; tests may register more modules. */
export async function startDawg(options: { port?: number; dataDir?: string } = {}): Promise<TestDawg> {
  const registry = new ModuleRegistry();
  const startedAt = Date.now();
  registry.register(
    createTestingModule({ listModules: () => registry.names(), dataDir: options.dataDir ?? '/tmp/jarvis-test-dawg', startedAt }),
  );
  const app = buildDawgApp({ registry, logger: silentLogger(), serviceToken: SERVICE_TOKEN, bodyLimit: '1mb', startedAt });
  const listening = await listen(app, options.port);
  return { ...listening, registry };
}

/** Control-plane config as the environment would give it, with test defaults and overrides. */
export function testConfig(env: Record<string, string | undefined> = {}): ControlPlaneConfig {
  return loadControlPlaneConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    AI_DAWG_SERVICE_TOKEN: SERVICE_TOKEN,
    JARVIS_AUTH_TOKEN: INTEGRATION_TOKEN,
    AI_DAWG_BACKEND_URL: 'http://127.0.0.1:9',
    ...env,
  });
}
