import type { Response } from 'express';
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

export function requestIdOf(res: Response): string {
  return res.locals.requestId as string;
}
