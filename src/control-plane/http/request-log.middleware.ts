import type { Request, RequestHandler } from 'express';
import { lineWriter, type Logger } from '../../common/logger';
import type { AuditLog } from '../audit';
import { principalOf, requestIdOf } from './locals';

/** Where API requests are recorded: the audit log's fire-and-forget (batched) path. */
export type RequestAuditSink = Pick<AuditLog, 'record'>;

/** The matched route pattern (/api/v1/agents/:name/tasks), else the path (no route matched). */
function routeOf(req: Request, path: string): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? route : path;
}

/**
 * One JSON line per request, and with an audit sink one `api.request` entry, written in
 * batches so the request path only pays for queueing it. The path is kept without its query
 * string, and never a credential. A request whose client went away before the answer was
 * sent is logged and recorded as aborted.
 */
export function requestLog(logger: Logger, audit?: RequestAuditSink): RequestHandler {
  const writeLine = lineWriter(logger);
  return (req, res, next) => {
    const started = performance.now();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const aborted = !res.writableFinished;
      // Gone before anything was answered: no status (Express's default 200 was never sent):
      // the log line has none, the audit entry null.
      const status = aborted && !res.headersSent ? null : res.statusCode;
      const path = req.originalUrl.split('?', 1)[0]!;
      const ms = Math.round((performance.now() - started) * 100) / 100;
      const requestId = requestIdOf(res);
      const keyId = principalOf(res)?.id;
      writeLine(status !== null && status >= 500 ? 'warn' : 'info', 'request', { method: req.method, path, ...(status === null ? {} : { status }), ms, requestId, keyId, ...(aborted ? { aborted } : {}) });
      audit?.record({
        type: 'api.request',
        actor: keyId,
        subject: routeOf(req, path),
        outcome: aborted ? 'aborted' : String(status),
        details: { method: req.method, path, status, ms, requestId, keyId },
      });
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };
}
