import type { Response } from 'express';
import type { Caller } from '../ai-router';
import type { Principal } from '../auth';

/** Typed access to what the middleware chain leaves on `res.locals`. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/**
 * Whose resources a caller may see or change: its own (those recorded with its principal id:
 * tasks it queued, files it stored, ...), or everyone's with the admin scope. Passed to
 * services as the owner filter (undefined: no filter).
 */
export function ownerFilter(principal: Principal | undefined): string | undefined {
  return principal?.scopes.includes('admin') ? undefined : (principal?.id ?? '');
}

/** Who an AI call is booked to in the ledger (and whose budget it spends): the API key, else the token's user. */
export function callerOf(res: Response, user?: string): Caller {
  const principal = principalOf(res);
  return { keyId: principal?.kind === 'api-key' ? principal.id : undefined, user: user ?? (principal?.kind === 'integration-token' ? principal.id : undefined) };
}

export function requestIdOf(res: Response): string {
  return res.locals.requestId as string;
}
