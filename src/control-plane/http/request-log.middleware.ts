import type { RequestHandler } from 'express';
import type { Logger } from '../../common/logger';
import { principalOf, requestIdOf } from './locals';

/** One JSON line per request. The path is logged without its query string, and never a credential. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const status = res.statusCode;
      logger.log(status >= 500 ? 'warn' : 'info', 'request', {
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        status,
        ms: Math.round((performance.now() - started) * 100) / 100,
        requestId: requestIdOf(res),
        keyId: principalOf(res)?.id,
      });
    });
    next();
  };
}
