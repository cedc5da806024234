import type { Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's default headers, computed once. With no per-request directive functions (we use
 * none) helmet's output is the same for every request, but it runs 13 middleware layers to
 * produce it; here helmet runs once at start-up against a recording response, and each
 * request gets the recorded headers in one step.
 *
 * One difference from helmet's default: the CSP's `upgrade-insecure-requests` is sent only on
 * requests that arrived over HTTPS (`req.secure`: TLS, or `X-Forwarded-Proto: https` from a
 * proxy `TRUST_PROXY` trusts). On a plain-HTTP page it made the browser ask for the page's own
 * scripts over https://, so the dashboard opened at any address but loopback never loaded.
 */
export function securityHeaders(): RequestHandler {
  const secure = recordHelmet({});
  const plain = recordHelmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  return (req, res, next) => {
    for (const [name, value] of req.secure ? secure : plain) res.setHeader(name, value);
    next();
  };
}

function recordHelmet(options: Readonly<HelmetOptions>): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader(name: string, value: string) {
      headers.push([name, value]);
    },
    removeHeader() {},
  };
  helmet(options)({ method: 'GET', headers: {} } as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
  });
  if (headers.length === 0) throw new Error('helmet set no headers: its middleware is no longer synchronous');
  return headers;
}
