import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet's default headers, computed once. With no per-request directive functions (we use
 * none) helmet's output is the same for every request, but it runs 13 middleware layers to
 * produce it; here helmet runs once at start-up against a recording response, and each
 * request gets the recorded headers in one step.
 */
export function securityHeaders(): RequestHandler {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader(name: string, value: string) {
      headers.push([name, value]);
    },
    removeHeader() {},
  };
  helmet()({ method: 'GET', headers: {} } as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
  });
  if (headers.length === 0) throw new Error('helmet set no headers: its middleware is no longer synchronous');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
