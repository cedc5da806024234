import type { Server } from 'node:http';
import { ConfigError } from '../common/env';
import { createLogger, logFileOptions } from '../common/logger';
import path from 'node:path';
import { buildDawgApp } from './app';
import { AudioWorkerPool } from './audio/worker';
import { loadDawgConfig } from './config';
import { HttpControlPlaneClient } from './control-plane/http-client';
import { createCreativeModule } from './modules/creative';
import { createDevopsModule, DeploymentStore, loadTargetsFile } from './modules/devops';
import { jarvisSourceThrough, registerDataModules } from './modules/data-modules';
import { createEmailChannel } from './modules/marketing';
import { createMusicModule } from './modules/music';
import { createTestingModule } from './modules/testing';
import { songProvidersFrom } from './providers';
import { FileStore, ProjectStore } from './storage';
import { ModuleRegistry } from './sdk';

/** Composition root of the AI DAWG: config → logger → stores and audio workers → registry with its modules → HTTP server. */
async function main(): Promise<void> {
  const config = loadDawgConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'ai-dawg', file: logFileOptions(config.logDir) });
  const startedAt = Date.now();

  const filesDir = path.join(config.dataDir, 'files');
  const files = new FileStore({ dir: filesDir, maxBytes: 512 * 2 ** 20 });
  const projects = new ProjectStore(path.join(config.dataDir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  const audio = new AudioWorkerPool({ workers: config.audioWorkers, filesDir, logger, renderCacheBytes: config.renderCacheMb * 2 ** 20 });

  const registry = new ModuleRegistry();
  registry.register(createTestingModule({ listModules: () => registry.names(), dataDir: config.dataDir, startedAt, files, audio }));
  registry.register(createMusicModule({ projects, files, audio }));
  registry.register(createCreativeModule({ files, projects, audio, providers: songProvidersFrom(config.musicProviders) }));

  const controlPlane = new HttpControlPlaneClient({
    baseUrl: config.controlPlaneUrl,
    serviceToken: config.serviceToken,
    timeoutMs: 10_000,
    // Above the longest command the firewall policy may allow (1 h): the firewall enforces each rule's own limit.
    commandTimeoutMs: 65 * 60_000,
  });
  const targets = config.devops.targetsFile ? loadTargetsFile(config.devops.targetsFile) : [];
  const deployments = new DeploymentStore(path.join(config.dataDir, 'devops'));
  await deployments.init();
  registry.register(createDevopsModule({ controlPlane, targets, deployments, terraformDir: config.devops.terraformDir, pulumi: config.devops.pulumi, cloudformation: config.devops.cloudformation, logDir: config.logDir, monitoringDir: path.join(config.dataDir, 'devops') }));

  // Campaign e-mail when an SMTP server is configured; the outbox always exists.
  const email = config.smtp ? createEmailChannel({ url: config.smtp.url, from: config.smtp.from }) : undefined;
  const data = await registerDataModules({ dataDir: config.dataDir, registry, logger, jarvisSource: jarvisSourceThrough(controlPlane), ...(email ? { channels: { email } } : {}) });

  const app = buildDawgApp({ registry, logger, serviceToken: config.serviceToken, bodyLimit: config.bodyLimit, startedAt, files, audio, uploadLimit: config.uploadLimit, dashboards: data.dashboards });
  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 hands a listen error (port taken) to this callback rather than emitting it.
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  logger.info('AI DAWG listening', { host: config.host, port: config.port, modules: registry.names(), audioWorkers: config.audioWorkers, deployTargets: targets.length, controlPlane: config.controlPlaneUrl, campaignChannels: ['outbox', ...(email ? ['email'] : [])] });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('AI DAWG stopping', { signal });
    // In-flight requests finish first (their audio tasks with them), then the workers stop.
    server.close(() => void audio.close().finally(() => {
      data.close();
      email?.close();
      process.exit(0);
    }));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
