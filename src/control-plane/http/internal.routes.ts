import { realpath } from 'node:fs/promises';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, ForbiddenError, NotFoundError, UnauthorizedError, UnavailableError } from '../../common/errors';
import { jsonBody } from '../../common/http/json-body.middleware';
import { approvalContextSchema } from '../../common/firewall-protocol';
import { actorId } from '../../common/protocol';
import { secretMatcher } from '../../common/secrets';
import { fieldError, parseInput } from '../../common/validation';
import type { JarvisSourceState } from '../analytics/jarvis-source';
import type { AuditLog } from '../audit';
import type { ApiKeyService } from '../auth';
import type { TerminalFirewall } from '../firewall';
import { auditQuery } from './audit-schemas';
import { approvalParams, execBody } from './firewall-schemas';
import { requestIdOf } from './locals';

/**
 * Routes the AI DAWG calls back on (DESIGN: the DAWG never spawns a command itself; its
 * devops module asks the control plane's firewall, and reads the audit log and metrics here).
 * They take the shared service token (AI_DAWG_SERVICE_TOKEN), not an API key, and are not
 * part of the public API or its OpenAPI document.
 */
export interface InternalRouteDeps {
  serviceToken: string;
  firewall?: TerminalFirewall;
  audit?: AuditLog;
  /** Prometheus text of this control plane's metrics. */
  metrics?: { render(): Promise<string>; contentType: string };
  /** Source "jarvis" of analytics.query, or why it is unavailable. */
  analytics?: JarvisSourceState;
  /** Who may read it: admin keys only (it reads every key's tasks and costs). */
  apiKeys?: Pick<ApiKeyService, 'activeScopes'>;
}

const analyticsQueryBody = z.strictObject({
  actor: actorId,
  sql: z.string().trim().min(1).max(20_000),
  params: z.array(z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()])).max(100).default([]),
  maxRows: z.number().int().min(1).max(10_000),
  timeoutMs: z.number().int().min(100).max(120_000),
});

const internalExecBody = execBody.extend({
  actor: actorId.describe('Who the DAWG acts for: the API key id (or agent:<name>) the control plane sent with the action'),
  context: approvalContextSchema.optional().describe('What the command would do (its plan\'s resource changes), stored with the approval for whoever decides it'),
  hold: z.boolean().default(true).describe('false: a step that must run at once (a read, a plan): one the policy holds is refused (409 APPROVAL_REQUIRED) instead of waiting for an approval nobody asked for'),
});

const withdrawBody = z.strictObject({ actor: actorId, reason: z.string().min(1).max(500) });
/** The newest approval of a command in a directory with one of its arguments (the DAWG's held Terraform plan). */
const latestApprovalQuery = z.strictObject({
  command: z.string().regex(/^[A-Za-z0-9._+-]{1,100}$/, 'must be a command name'),
  cwd: z.string().min(1).max(4_096).refine((p) => path.isAbsolute(p), 'must be an absolute path'),
  arg: z.string().min(1).max(1_024),
});

/** The service token, compared in constant time; failures land in the audit log as any other. */
function requireServiceToken(token: string, audit: AuditLog | undefined): RequestHandler {
  const matches = secretMatcher(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (given && matches(given)) return next();
    audit?.record({
      type: 'auth.failure',
      subject: req.path,
      outcome: given ? 'invalid-service-token' : 'missing-service-token',
      details: { method: req.method, path: req.path, ip: req.ip, requestId: requestIdOf(res) },
    });
    next(new UnauthorizedError('Missing or invalid service token'));
  };
}

export function mountInternalRoutes(app: Express, deps: InternalRouteDeps): void {
  const router = express.Router();
  router.use(requireServiceToken(deps.serviceToken, deps.audit));
  router.use(jsonBody('256kb'));
  const firewall = () => {
    if (!deps.firewall) throw new UnavailableError('FEATURE_DISABLED', 'The terminal firewall is disabled (TERMINAL_FIREWALL_ENABLED=false): no command can run');
    return deps.firewall;
  };

  router.post('/commands', async (req, res) => {
    const { actor, hold, context, ...command } = parseInput(internalExecBody, req.body, 'body');
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const outcome = await firewall().exec(command, actor, abort.signal, 'ai-dawg', { hold, ...(context ? { context } : {}) });
    if (outcome.status === 'pending-approval') {
      const { env: _env, ...approval } = outcome.approval;
      res.status(202).json({ status: outcome.status, approval });
      return;
    }
    res.json(outcome);
  });

  router.get('/approvals', async (req, res) => {
    const query = parseInput(latestApprovalQuery, req.query, 'query');
    // As the firewall stores it: the real path (a directory that is gone has no approvals).
    const cwd = await realpath(query.cwd).catch(() => undefined);
    const found = cwd === undefined ? undefined : await firewall().approvals.latest({ ...query, cwd });
    if (!found) {
      res.json({ approval: null });
      return;
    }
    const { env: _env, ...approval } = found;
    res.json({ approval });
  });

  router.get('/approvals/:id', async (req, res) => {
    const { id } = parseInput(approvalParams, req.params, 'params');
    const found = await firewall().approvals.get(id);
    if (!found) throw new NotFoundError(`No approval ${id}`, undefined, 'APPROVAL_NOT_FOUND');
    const { env: _env, ...approval } = found;
    res.json(approval);
  });

  router.post('/approvals/:id/withdraw', async (req, res) => {
    const { id } = parseInput(approvalParams, req.params, 'params');
    const body = parseInput(withdrawBody, req.body, 'body');
    const { env: _env, ...approval } = await firewall().withdraw(id, body.actor, body.reason);
    res.json(approval);
  });

  router.get('/audit', async (req, res) => {
    if (!deps.audit) throw new UnavailableError('FEATURE_DISABLED', 'The audit log is not available in this process');
    const query = parseInput(auditQuery, req.query, 'query');
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && to <= from) throw fieldError('query.to', 'must be after from');
    res.json(await deps.audit.query({ ...query, from, to }));
  });

  router.post('/analytics/query', async (req, res) => {
    const body = parseInput(analyticsQueryBody, req.body, 'body');
    const state = deps.analytics ?? { available: false as const, reason: 'Source "jarvis" is not set up in this process' };
    if (!state.available) throw new AppError(501, 'SOURCE_UNAVAILABLE', state.reason, { field: 'params.source' });
    const scopes = deps.apiKeys ? await deps.apiKeys.activeScopes(body.actor) : undefined;
    if (!scopes?.includes('admin')) {
      throw new ForbiddenError('Source "jarvis" reads every key’s tasks and costs: it needs an API key with the admin scope', { field: 'params.source', actor: body.actor });
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    res.json(await state.source.query({ sql: body.sql, params: body.params, maxRows: body.maxRows, timeoutMs: body.timeoutMs, signal: abort.signal }));
  });

  router.get('/metrics', async (_req, res) => {
    if (!deps.metrics) throw new UnavailableError('FEATURE_DISABLED', 'Metrics are not collected in this process');
    res.type(deps.metrics.contentType).send(await deps.metrics.render());
  });

  app.use('/internal/v1', router);
}

export type InternalExecBody = z.input<typeof internalExecBody>;
