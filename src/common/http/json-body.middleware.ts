import express, { type RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * The JSON body parser of both services, as one handler chain: a body sent as anything but
 * JSON (a form, text/plain) is refused with 415 naming the content type. express.json alone
 * skips such a body, and the route would fail as "expected object, received undefined".
 * A request without a body passes (its route says which field is missing).
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [jsonOnly, express.json({ limit })];
}

const jsonOnly: RequestHandler = (req, _res, next) => {
  if (!hasBody(req.headers) || req.is('application/json')) return next();
  next(
    new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the body as JSON with Content-Type: application/json (got ${String(req.headers['content-type'] ?? 'none').slice(0, 100)})`, {
      issues: [{ field: 'headers.content-type', message: 'must be application/json' }],
    }),
  );
};

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
