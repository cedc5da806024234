import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { AppError } from '../errors';
import { assertNoNul } from '../validation';

/**
 * The JSON body parser of both services, as one handler chain: a body sent as anything but
 * JSON (a form, text/plain) is refused with 415 naming the content type. express.json alone
 * skips such a body, and the route would fail as "expected object, received undefined".
 * A request without a body passes (its route says which field is missing).
 *
 * A body with a NUL character (`\u0000`) in any string or key is refused with a 400 naming
 * that field: no field of the API means one, and PostgreSQL cannot store one (the write would
 * fail with a 500). Only bodies whose raw text holds the escape are walked.
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [jsonOnly, express.json({ limit, verify: noteNulEscape }), refuseNul];
}

const NUL_ESCAPE = Buffer.from('\\u0000');
const mayHoldNul = new WeakSet<IncomingMessage>();

function noteNulEscape(req: IncomingMessage, _res: unknown, raw: Buffer): void {
  if (raw.includes(NUL_ESCAPE)) mayHoldNul.add(req);
}

const refuseNul: RequestHandler = (req, _res, next) => {
  if (mayHoldNul.has(req)) assertNoNul(req.body, 'body');
  next();
};

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
