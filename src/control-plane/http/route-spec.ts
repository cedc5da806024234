import type { Express, RequestHandler } from 'express';
import { jsonBody } from '../../common/http/json-body.middleware';
import type { z } from 'zod';
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
 * Returns the function that mounts routes on `app`: tier check first, then (only for routes
 * that take a body) the JSON parser, so neither GETs nor unauthenticated callers pay for
 * parsing a body.
 */
export function routeMounter(app: Express, jsonBodyLimit: string): Mount {
  const json = jsonBody(jsonBodyLimit);
  return (spec, handler) => {
    const chain: RequestHandler[] = [];
    if (spec.tier !== 'public') chain.push(requireTier(spec.tier));
    if (spec.body) chain.push(...json);
    app[spec.method](spec.path, ...chain, handler);
  };
}
