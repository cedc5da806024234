import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler } from 'express';
import { AppError } from '../errors';
import { assertStorableText } from '../validation';

/**
 * The JSON body parser of both services, as one handler chain: a body sent as anything but
 * JSON (a form, text/plain) is refused with 415 naming the content type. express.json alone
 * skips such a body, and the route would fail as "expected object, received undefined".
 * A request without a body passes (its route says which field is missing).
 *
 * A body with text PostgreSQL cannot store in any string or key (a NUL character, half of a
 * surrogate pair: both only arrive as JSON escapes) is refused with a 400 naming that field
 * (assertStorableText). Only bodies whose raw text holds such an escape are walked.
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [jsonOnly, express.json({ limit, verify: noteSuspectEscape }), refuseUnstorable];
}

/** `\u0000`, or a surrogate's escape `\ud800`–`\udfff` (paired ones too: the walk tells them apart). */
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
const suspect = new WeakSet<IncomingMessage>();

function noteSuspectEscape(req: IncomingMessage, _res: unknown, raw: Buffer): void {
  // latin1 maps each byte to one character: the ASCII escapes are found without decoding UTF-8.
  if (raw.includes('\\u') && SUSPECT_ESCAPE.test(raw.toString('latin1'))) suspect.add(req);
}

const refuseUnstorable: RequestHandler = (req, _res, next) => {
  if (suspect.has(req)) assertStorableText(req.body, 'body');
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
