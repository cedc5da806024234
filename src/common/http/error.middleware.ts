import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors';
import type { ErrorBody } from '../protocol';
import type { Logger } from '../logger';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(err: unknown): AppError | undefined {
  const e = err as BodyParserError;
  if (e && typeof e.type === 'string') {
    if (e.type === 'entity.parse.failed') return new AppError(400, 'INVALID_JSON', 'Request body is not valid JSON');
    if (e.type === 'entity.too.large') {
      return new AppError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${e.limit} bytes`, { limitBytes: e.limit });
    }
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      return new AppError(415, 'UNSUPPORTED_ENCODING', 'Request body encoding is not supported');
    }
  }
  // A body whose Content-Encoding (gzip, deflate, br) does not decompress: zlib's error, passed on by body-parser as a 400.
  if (e && e.status === 400 && typeof (e as { errno?: unknown }).errno === 'number') {
    return new AppError(400, 'INVALID_CONTENT_ENCODING', 'Request body could not be decompressed as its Content-Encoding says');
  }
  return undefined;
}

/**
 * A file answer's own refusals (`send`, under res.sendFile): a byte range outside the file, or a
 * failed If-Match / If-Unmodified-Since. The Content-Range header send set stays on the answer.
 */
function fromSend(err: unknown): AppError | undefined {
  const e = err as { status?: unknown; expose?: unknown };
  if (!e || e.expose !== true) return undefined;
  if (e.status === 416) return new AppError(416, 'RANGE_NOT_SATISFIABLE', 'The requested range lies outside the file');
  if (e.status === 412) return new AppError(412, 'PRECONDITION_FAILED', 'A precondition of the request (If-Match, If-Unmodified-Since) failed');
  return undefined;
}

/** The router's refusal of a path parameter that is not valid percent-encoding (`/jobs/%E0%A4%A`). */
function fromRouter(err: unknown): AppError | undefined {
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return new AppError(400, 'INVALID_PATH', 'The request path holds malformed percent-encoding (a % not followed by a valid UTF-8 sequence)');
  }
  return undefined;
}

/** The one place where errors become HTTP responses. Unknown errors are logged and never shown to the client. */
export function errorMapper(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const known = err instanceof AppError ? err : (fromBodyParser(err) ?? fromSend(err) ?? fromRouter(err));
    const requestId = res.locals.requestId as string | undefined;
    if (known) {
      const body: ErrorBody = { error: { code: known.code, message: known.message } };
      if (known.details !== undefined) body.error.details = known.details;
      if (known.retryAfterSeconds !== undefined) res.setHeader('retry-after', known.retryAfterSeconds);
      if (known.status >= 500) logger.warn('request failed', { requestId, code: known.code, reason: known.message });
      res.status(known.status).json(body);
      return;
    }
    logger.error('unhandled error', { requestId, err });
    const body: ErrorBody = { error: { code: 'INTERNAL', message: 'Internal server error', details: { requestId } } };
    res.status(500).json(body);
  };
}

export function notFound(): RequestHandler {
  return (req, res) => {
    const body: ErrorBody = { error: { code: 'NOT_FOUND', message: `No route for ${req.method} ${req.path}` } };
    res.status(404).json(body);
  };
}
