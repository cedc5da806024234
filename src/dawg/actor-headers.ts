import type { Request } from 'express';
import { actorId } from '../common/protocol';
import { parseInput } from '../common/validation';

/** An actor id the control plane sent in `header` (x-jarvis-actor, x-jarvis-owned-by); 400 naming the header if malformed. */
export function optionalActorHeader(req: Request, header: string): string | undefined {
  const value = req.get(header);
  return value === undefined ? undefined : parseInput(actorId, value, `headers.${header}`);
}
