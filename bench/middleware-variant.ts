/**
 * One server of the middleware benchmark (bench/middleware.bench.ts): an Express app with the
 * control plane's own middleware up to `level` (argv[2]), listening on 127.0.0.1:argv[3].
 * Each level adds to the one before; see LEVELS in the driver. GET /cpu answers this
 * process's CPU use so the driver can divide it by the requests served.
 */
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import { requestId } from '../src/common/http/request-id.middleware';
import { securityHeaders } from '../src/common/http/security-headers.middleware';
import { createLogger } from '../src/common/logger';
import { ApiKeyService } from '../src/control-plane/auth/api-key-service';
import type { ControlPlaneConfig } from '../src/control-plane/config';
import { authenticate, authenticateFromMemory, requireTier } from '../src/control-plane/http/auth.middleware';
import { authFailureGate, rateLimits } from '../src/control-plane/http/rate-limit.middleware';
import { requestLog } from '../src/control-plane/http/request-log.middleware';

const level = Number(process.argv[2]);
const port = Number(process.argv[3]);
const body = {
  service: 'jarvis-control-plane',
  version: '2.0.0',
  environment: 'production',
  uptimeSeconds: 12,
  features: { agentSystem: true, memoryLayer: true, terminalFirewall: true, aiRouter: true, proactive: true },
  storage: { database: 'postgres', vector: false, kv: 'memory' },
  dawg: { reachable: true, breaker: 'closed' },
  modules: [{ name: 'testing', version: '1.0.0', actions: ['health-check', 'validate-system', 'audio-check'] }],
};

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
const logDir = process.env.VARIANT_LOG_DIR;
const logger = createLogger({ level: 'info', service: 'variant', file: logDir ? { dir: logDir, maxBytes: 20 * 2 ** 20, maxFiles: 2 } : undefined });
// The token path never reads the database: no Db is needed.
const apiKeys = new ApiKeyService(undefined as never, { integrationToken: process.env.VARIANT_TOKEN });
const limits: ControlPlaneConfig['rateLimits'] = { windowMs: 60_000, health: 1e6, execute: 1e6, chatgpt: 1e6, devops: 1e6, default: 1e6, authFailures: 100 };
if (level >= 2) {
  app.use(requestId());
  app.use(securityHeaders());
  app.use(cors({ origin: (_origin, done) => done(null, false), maxAge: 600 }));
}
if (level >= 3) app.use(requestLog(logger));
if (level >= 4) {
  app.use(authenticateFromMemory(apiKeys));
  app.use(authFailureGate({ limits, keyPrefix: 'bench:' }).middleware);
  for (let i = 0; i < 8; i++) app.post(`/internal/v1/route-${i}`, (_req, res) => res.end());
  app.use(authenticate(apiKeys));
}
if (level >= 5) app.use(rateLimits({ limits, keyPrefix: 'bench:' }));
app.get('/cpu', (_req, res) => {
  res.json(process.cpuUsage());
});
const chain: RequestHandler[] = level >= 4 ? [requireTier('integration')] : [];
if (level === 0) app.get('/status', (_req, res) => void res.json({ ok: true }));
else
  app.get('/status', ...chain, async (_req, res) => {
    await Promise.resolve();
    res.json(body);
  });
app.listen(port, '127.0.0.1', () => process.send?.('ready'));
