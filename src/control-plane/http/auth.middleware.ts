import type { Request, RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '../../common/errors';
import { checkTier, type ApiKeyService, type Tier } from '../auth';

function presentedCredential(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header) {
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
    return '';
  }
  return req.get('x-api-key')?.trim();
}

/**
 * Resolves credentials, when any are presented, to `res.locals.principal`. It rejects
 * nothing itself: each route states its tier with `requireTier`, and rate limits run in
 * between so they can count per key.
 */
export function authenticate(apiKeys: ApiKeyService): RequestHandler {
  return async (req, res, next) => {
    const credential = presentedCredential(req);
    if (credential === undefined) return next();
    if (credential) {
      let principal;
      try {
        principal = await apiKeys.authenticate(credential);
      } catch (err) {
        // Not the caller's fault and not a wrong key: the key store cannot be read.
        return next(new UnavailableError('DATABASE_UNAVAILABLE', 'Credentials cannot be checked right now', undefined, { cause: err }));
      }
      if (principal) res.locals.principal = principal;
    }
    next();
  };
}

export function requireTier(tier: Tier): RequestHandler {
  return (_req, res, next) => {
    const verdict = checkTier(tier, res.locals.principal);
    if (verdict.ok) return next();
    next(verdict.status === 401 ? new UnauthorizedError(verdict.reason) : new ForbiddenError(verdict.reason, { requiredScope: tier }));
  };
}
