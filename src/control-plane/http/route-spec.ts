import express, { type Express, type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError } from '../../common/errors';
import type { Tier } from '../auth';
import { requireTier } from './auth.middleware';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

/**
 * One route, described once: the same object mounts it (method, path, tier) and documents it
 * in the OpenAPI spec (schemas), so the two cannot drift apart.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'delete';
  /** Express path, e.g. /api/v1/admin/api-keys/:id */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tier: Tier;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /**
   * ChatGPT Actions' `x-openai-isConsequential`: true → ChatGPT asks the user before every call
   * (deploys, infrastructure changes, spending); false → the user may allow it once for all.
   */
  consequential?: boolean;
}

export type Mount = (spec: RouteSpec, handler: RequestHandler) => void;

/**
 * A body sent as anything but JSON (a form, text/plain) would reach the route as no body at
 * all and fail as "expected object, received undefined": say what is wrong instead.
 */
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

/**
 * Returns the function that mounts routes on `app`: tier check first, then (only for routes
 * that take a body) the JSON parser, so neither GETs nor unauthenticated callers pay for
 * parsing a body.
 */
export function routeMounter(app: Express, jsonBodyLimit: string): Mount {
  const json = express.json({ limit: jsonBodyLimit });
  return (spec, handler) => {
    const chain: RequestHandler[] = [];
    if (spec.tier !== 'public') chain.push(requireTier(spec.tier));
    if (spec.body) chain.push(jsonOnly, json);
    app[spec.method](spec.path, ...chain, handler);
  };
}
