import type { Response } from 'express';
import type { Principal } from '../auth';

/** Typed access to what the middleware chain leaves on `res.locals`. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

export function requestIdOf(res: Response): string {
  return res.locals.requestId as string;
}
