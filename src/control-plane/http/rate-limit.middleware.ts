import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { ErrorBody } from '../../common/protocol';
import type { RedisClient } from '../../common/kv';
import type { ControlPlaneConfig } from '../config';
import { principalOf } from './locals';

export interface RateLimitDeps {
  limits: ControlPlaneConfig['rateLimits'];
  /** With a client, counts live in Redis and every instance shares them; without, in this process. */
  redis?: RedisClient;
  keyPrefix: string;
}

type Group = 'health' | 'execute' | 'chatgpt' | 'devops' | 'default';

/** Blueprint §4.3: a separate budget per route family; anything else falls under `default`. */
const PREFIXES: ReadonlyArray<[string, Exclude<Group, 'default'>]> = [
  ['/health', 'health'],
  ['/api/v1/execute', 'execute'],
  ['/integrations/chatgpt', 'chatgpt'],
  ['/api/v1/devops', 'devops'],
];

function groupOf(path: string): Group {
  for (const [prefix, group] of PREFIXES) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return group;
  }
  return 'default';
}

function storeFor(group: Group | 'auth-failures', deps: RateLimitDeps): Store | undefined {
  const client = deps.redis;
  if (!client) return undefined;
  return new RedisStore({
    prefix: `${deps.keyPrefix}rl:${group}:`,
    sendCommand: (...args: string[]) => client.sendCommand(args),
  });
}

/**
 * Per-family rate limits keyed by API key id when the caller authenticated, else by client
 * IP (IPv6 grouped by /56 so one host cannot rotate addresses). If Redis fails the request
 * is let through and the failure logged: an outage of the counter store must not take the
 * API down with it.
 */
export function rateLimits(deps: RateLimitDeps): RequestHandler {
  const limiters = new Map<Group, RequestHandler>();
  for (const group of ['health', 'execute', 'chatgpt', 'devops', 'default'] as const) {
    const limit = deps.limits[group];
    limiters.set(
      group,
      rateLimit({
        windowMs: deps.limits.windowMs,
        limit,
        identifier: group,
        // draft-7 (RateLimit + RateLimit-Policy): draft-8 hashes the key into every response's header.
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        store: storeFor(group, deps),
        passOnStoreError: true,
        keyGenerator: (req, res) => {
          const principal = principalOf(res);
          return principal ? `key:${principal.id}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
        },
        handler: (_req, res, _next, options) => {
          const retryAfter = res.getHeader('retry-after');
          const body: ErrorBody = {
            error: {
              code: 'RATE_LIMITED',
              message: `Too many requests: at most ${limit} per ${Math.round(options.windowMs / 1000)} s for this route family`,
              details: { group, limit, windowMs: options.windowMs, retryAfterSeconds: Number(retryAfter) || undefined },
            },
          };
          res.status(options.statusCode).json(body);
        },
      }),
    );
  }
  return (req, res, next) => limiters.get(groupOf(req.path))!(req, res, next);
}

/**
 * Failed authentications per client IP, shared by the HTTP API and the WebSocket hub (one
 * count per address across both, and across instances with Redis).
 */
export interface AuthFailureGate {
  /** HTTP: counts credentialed requests that end in 401; past the limit refuses them with 429. */
  middleware: RequestHandler;
  /** Seconds until `ip` may try a credential again; 0 when it may now. A counter store that fails lets it try. */
  retryAfterSeconds(ip: string | undefined): Promise<number>;
  /** Counts one failed authentication from `ip` (the WebSocket hub's; the middleware counts its own). */
  failed(ip: string | undefined): Promise<void>;
}

const failureKey = (ip: string | undefined): string => `ip:${ipKeyGenerator(ip ?? 'unknown')}`;

/**
 * Counts, per client IP, requests that presented a credential and ended in 401. Past the
 * limit, a credentialed request from that IP is refused before its key is looked up, so a
 * flood of made-up keys cannot become a flood of database reads (nor a guessing run).
 * Mounted after `authenticateFromMemory` and before `authenticate`: a valid key already
 * known is let through, so someone else's failures from the same address (a shared NAT)
 * do not lock out a working client.
 */
export function authFailureGate(deps: RateLimitDeps): AuthFailureGate {
  const limit = deps.limits.authFailures;
  const store = storeFor('auth-failures', deps) ?? new MemoryStore();
  const middleware = rateLimit({
    windowMs: deps.limits.windowMs,
    limit,
    identifier: 'auth-failures',
    standardHeaders: false,
    legacyHeaders: false,
    store,
    passOnStoreError: true,
    // No credential, or one already resolved from memory (authenticateFromMemory): nothing to guess.
    skip: (req, res) => (req.get('authorization') === undefined && req.get('x-api-key') === undefined) || principalOf(res) !== undefined,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    // Written out (not failureKey): express-rate-limit checks the source for ipKeyGenerator.
    keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    handler: (req, res, _next, options) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfterSeconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      res.setHeader('retry-after', retryAfterSeconds);
      const body: ErrorBody = {
        error: {
          code: 'TOO_MANY_AUTH_FAILURES',
          message: `Too many failed authentications from this address: at most ${limit} per ${Math.round(options.windowMs / 1000)} s`,
          details: { limit, windowMs: options.windowMs, retryAfterSeconds },
        },
      };
      res.status(options.statusCode).json(body);
    },
  });
  return {
    middleware,
    async retryAfterSeconds(ip) {
      let info;
      try {
        info = await middleware.getKey(failureKey(ip));
      } catch {
        return 0; // As the middleware's passOnStoreError: a counter outage must not lock everyone out.
      }
      // rate-limit-redis reads a missing key as NaN hits (node-redis answers null, it expects false).
      if (!info || !(info.totalHits >= limit)) return 0;
      return Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? Date.now() + deps.limits.windowMs) - Date.now()) / 1000));
    },
    async failed(ip) {
      await store.increment(failureKey(ip));
    },
  };
}
