import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { ConfigError } from '../common/env';
import { createLogger, logFileOptions } from '../common/logger';
import { composeControlPlane, openStorage } from './compose';
import { loadControlPlaneConfig } from './config';

const BANNER = '================================================================';

function usage(port: number): string[] {
  return [
    ' Keep it safe. Use it as "Authorization: Bearer <key>" or "X-API-Key: <key>".',
    ' More keys: export JARVIS_API_KEY=<key> (from your secret store, not typed on the command line), then',
    `   JARVIS_URL=http://127.0.0.1:${port} npm run jarvis -- keys create --name <name>`,
  ];
}

/**
 * Shows the first admin key once: written straight to the terminal (not through the logger),
 * or, with JARVIS_BOOTSTRAP_KEY_FILE, into a file only its owner can read, for deployments
 * whose stdout is collected into log storage.
 */
async function announceAdminKey(key: string, port: number, file: string | undefined): Promise<void> {
  if (file) {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    process.stdout.write(
      [BANNER, ` Jarvis: first start on an empty database. Admin API key written to ${file} (mode 0600).`, ' Read it, store it, then delete the file.', ...usage(port), BANNER, ''].join('\n'),
    );
    return;
  }
  process.stdout.write(
    ['', BANNER, ' Jarvis: first start on an empty database. Admin API key (shown once):', '', `   ${key}`, '', ...usage(port), BANNER, ''].join('\n'),
  );
}

/** Composition root of the control plane: config → logger → storage → services → HTTP server. */
async function main(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  const logger = createLogger({ level: config.logLevel, service: 'control-plane', file: logFileOptions(config.logDir) });
  const storage = await openStorage(config, logger);
  const plane = await composeControlPlane(config, logger, storage);

  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 hands a listen error (port taken) to this callback rather than emitting it.
    const s = plane.app.listen(config.http.port, config.http.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server.keepAliveTimeout = 65_000;
  plane.realtime.attach(server);
  logger.info('control plane listening', {
    host: config.http.host,
    port: config.http.port,
    database: storage.db.kind,
    kv: storage.kv.kind,
    dawg: config.dawg.baseUrl,
  });

  // Only once the port is ours: a start that fails must not have shown (and spent) the first key.
  await plane.apiKeys.bootstrapAdmin((created) => announceAdminKey(created.key, config.http.port, config.auth.bootstrapKeyFile));
  await plane.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('control plane stopping', { signal });
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    // WebSockets keep the server open until they end: the hub closes them (1001) alongside.
    void plane.realtime.close().catch((err: unknown) => logger.warn('websocket hub did not close cleanly', { reason: (err as Error).message }));
    server.close(async () => {
      // Running agent tasks get 5 s to finish; the rest resume on the next start (or fail "interrupted").
      await plane.close(5_000).catch((err: unknown) => logger.warn('agent system did not stop cleanly', { reason: (err as Error).message }));
      await storage.kv.close().catch(() => undefined);
      await storage.db.close().catch(() => undefined);
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `Control plane failed to start: ${(err as Error).stack}`}\n`);
  process.exit(1);
});
