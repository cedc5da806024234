import type { Express, RequestHandler } from 'express';
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
}

export function mountRoute(app: Express, spec: RouteSpec, handler: RequestHandler): void {
  if (spec.tier === 'public') app[spec.method](spec.path, handler);
  else app[spec.method](spec.path, requireTier(spec.tier), handler);
}
