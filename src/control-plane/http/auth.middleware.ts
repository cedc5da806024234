import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '../../common/errors';
import type { AuditLog } from '../audit';
import { checkTier, type ApiKeyService, type Tier } from '../auth';
import { principalOf, requestIdOf } from './locals';

/** Where authentication failures are recorded: the audit log's fire-and-forget path. */
export type AuthFailureSink = Pick<AuditLog, 'record'>;

type FailureReason = 'invalid-credential' | 'malformed-credential' | 'missing-credential' | 'insufficient-scope';

/** requireTier's refusals, told apart from other 401/403s so that only they count as authentication failures. */
class CredentialsRequiredError extends UnauthorizedError {}
class ScopeRequiredError extends ForbiddenError {}

function presentedCredential(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header) {
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
    return '';
  }
  return req.get('x-api-key')?.trim();
}

interface FailureExtra {
  actor?: string;
  details?: Record<string, unknown>;
}

/** Never the presented credential: only where the attempt came from and what it was refused for. */
export function recordFailure(sink: AuthFailureSink | undefined, req: Request, res: Response, reason: FailureReason, extra: FailureExtra = {}): void {
  if (!sink) return;
  const route = (req.route as { path?: unknown } | undefined)?.path;
  sink.record({
    type: 'auth.failure',
    actor: extra.actor,
    subject: typeof route === 'string' ? route : req.path,
    outcome: reason,
    details: { reason, method: req.method, path: req.path, ip: req.ip, requestId: requestIdOf(res), ...extra.details },
  });
}

/** The id part of something shaped like an API key (jrv_<id>_<secret>): not secret, and it shows which key was tried. */
function claimedKeyId(credential: string): string | undefined {
  return /^jrv_([a-f0-9]{16})_/.exec(credential)?.[1];
}

/**
 * Resolves the credentials that can be checked without the database (the integration token,
 * a recently read key) to `res.locals.principal`, so the authentication-failure limit, mounted
 * next, need not count them: it then only costs the requests that could be guessing.
 */
export function authenticateFromMemory(apiKeys: ApiKeyService): RequestHandler {
  return (req, res, next) => {
    const credential = presentedCredential(req);
    if (credential) {
      const principal = apiKeys.authenticateFromMemory(credential);
      if (principal) res.locals.principal = principal;
    }
    next();
  };
}

/**
 * Resolves credentials, when any are presented, to `res.locals.principal`. It rejects
 * nothing itself: each route states its tier with `requireTier`, and rate limits run in
 * between so they can count per key. A credential that resolves to no key is recorded as
 * an authentication failure here, whatever the route (a public one answers all the same).
 */
export function authenticate(apiKeys: ApiKeyService, failures?: AuthFailureSink): RequestHandler {
  return async (req, res, next) => {
    const credential = presentedCredential(req);
    if (credential === undefined || res.locals.principal) return next();
    if (credential) {
      let principal;
      try {
        principal = await apiKeys.authenticate(credential);
      } catch (err) {
        // Not the caller's fault and not a wrong key: the key store cannot be read.
        return next(new UnavailableError('DATABASE_UNAVAILABLE', 'Credentials cannot be checked right now', undefined, { cause: err }));
      }
      if (principal) {
        res.locals.principal = principal;
        return next();
      }
    }
    const claimed = claimedKeyId(credential);
    recordFailure(failures, req, res, credential ? 'invalid-credential' : 'malformed-credential', { details: claimed ? { claimedKeyId: claimed } : {} });
    next();
  };
}

export function requireTier(tier: Tier): RequestHandler {
  return (_req, res, next) => {
    const verdict = checkTier(tier, res.locals.principal);
    if (verdict.ok) return next();
    next(verdict.status === 401 ? new CredentialsRequiredError(verdict.reason) : new ScopeRequiredError(verdict.reason, { requiredScope: tier }));
  };
}

/**
 * Records requireTier's refusals that `authenticate` has not recorded already (no credential
 * at all; a valid key without the scope), then hands the error on to the error mapper.
 */
export function auditAuthFailures(failures: AuthFailureSink | undefined): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (err instanceof CredentialsRequiredError && presentedCredential(req) === undefined) recordFailure(failures, req, res, 'missing-credential');
    if (err instanceof ScopeRequiredError) {
      recordFailure(failures, req, res, 'insufficient-scope', { actor: principalOf(res)?.id, details: { requiredScope: (err.details as { requiredScope?: string }).requiredScope } });
    }
    next(err);
  };
}
