import express, { type Express, type RequestHandler } from 'express';
import { UnauthorizedError } from '../common/errors';
import { errorMapper, notFound } from '../common/http/error.middleware';
import { jsonBody } from '../common/http/json-body.middleware';
import { requestId } from '../common/http/request-id.middleware';
import { securityHeaders } from '../common/http/security-headers.middleware';
import type { Logger } from '../common/logger';
import { ACTOR_HEADER, executeRequestSchema, OWNED_BY_HEADER, type ManifestResponse } from '../common/protocol';
import { secretMatcher } from '../common/secrets';
import { fieldError, parseInput } from '../common/validation';
import { optionalActorHeader } from './actor-headers';
import type { AudioWorkerPool } from './audio/worker';
import { mountDashboardRoutes } from './dashboards.routes';
import { mountFileRoutes } from './files.routes';
import type { DashboardStore } from './modules/analytics/dashboard';
import type { ModuleRegistry } from './sdk';
import type { FileStore } from './storage';

export interface DawgAppDeps {
  registry: ModuleRegistry;
  logger: Logger;
  serviceToken: string;
  bodyLimit: string;
  startedAt: number;
  /** Audio file store; without it the file endpoints are not mounted. */
  files?: FileStore;
  /** Measures uploads off the event loop; required with `files`. */
  audio?: AudioWorkerPool;
  /** Largest WAV upload, e.g. 200mb. */
  uploadLimit?: string;
  /** Rendered analytics dashboards; without it their routes are not mounted. */
  dashboards?: DashboardStore;
}

/** Only the control plane may call the DAWG: it presents the shared service token. */
function requireServiceToken(token: string): RequestHandler {
  const matches = secretMatcher(token);
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !matches(given)) return next(new UnauthorizedError('Missing or invalid service token'));
    next();
  };
}

/** Builds the DAWG's HTTP app without listening, so tests drive it exactly as main does. */
export function buildDawgApp(deps: DawgAppDeps): Express {
  if (deps.files && !deps.audio) throw new Error('buildDawgApp: the file routes need the audio worker pool (deps.audio) to measure uploads');
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.use(requestId());

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'ai-dawg', uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000) });
  });

  const auth = requireServiceToken(deps.serviceToken);
  // Parsed only after the token check, so an unauthenticated caller cannot make us parse megabytes.
  const json = jsonBody(deps.bodyLimit);

  app.get('/api/v1/modules', auth, (_req, res) => {
    const body: ManifestResponse = { modules: deps.registry.manifest() };
    res.json(body);
  });

  app.post('/api/v1/execute', auth, ...json, async (req, res) => {
    const request = parseInput(executeRequestSchema, req.body, 'body');
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const requestIdValue = res.locals.requestId as string;
    const actor = optionalActorHeader(req, ACTOR_HEADER);
    const ownedBy = optionalActorHeader(req, OWNED_BY_HEADER);
    // What a limited caller creates must be recorded as theirs, or it could not change it afterwards.
    if (ownedBy !== undefined && ownedBy !== actor) throw fieldError(`headers.${OWNED_BY_HEADER}`, `must equal headers.${ACTOR_HEADER}`);
    let result;
    try {
      result = await deps.registry.execute(request, {
        requestId: requestIdValue,
        signal: controller.signal,
        ...(actor ? { actor } : {}),
        ...(ownedBy ? { ownedBy } : {}),
        logger: deps.logger.child({ requestId: requestIdValue, module: request.module, action: request.action }),
      });
    } catch (err) {
      // The caller went away (its timeout, a cancelled task) and the action stopped on its
      // signal: nobody reads an answer, and it is no failure of this service.
      if (controller.signal.aborted) {
        deps.logger.info('execute: the caller went away before the answer', { requestId: requestIdValue, module: request.module, action: request.action, reason: (err as Error | undefined)?.message });
        return;
      }
      throw err;
    }
    res.json(result);
  });

  if (deps.files) mountFileRoutes(app, auth, deps.files, deps.audio!, deps.uploadLimit ?? '200mb');
  if (deps.dashboards) mountDashboardRoutes(app, auth, deps.dashboards);

  app.use(notFound());
  app.use(errorMapper(deps.logger));
  return app;
}
