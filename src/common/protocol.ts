import { z } from 'zod';

/**
 * The wire contract between the control plane and the AI DAWG. Both sides import these
 * schemas, so a change here is a change of protocol for both.
 */
export const moduleName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase module name (a-z, 0-9, -)');
export const actionName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase action name (a-z, 0-9, -)');

export const executeRequestSchema = z
  .object({
    module: moduleName,
    action: actionName,
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type ExecuteRequest = z.infer<typeof executeRequestSchema>;

export const executeResponseSchema = z.object({
  module: z.string(),
  action: z.string(),
  result: z.unknown(),
  durationMs: z.number(),
});
export type ExecuteResponse = z.infer<typeof executeResponseSchema>;

export const actionManifestSchema = z.object({
  name: z.string(),
  description: z.string(),
  paramsSchema: z.record(z.string(), z.unknown()),
  /** How long the action may run (ms), when longer than a usual call: the control plane waits this long. */
  timeoutMs: z.number().int().positive().optional(),
});

export const moduleManifestSchema = z.object({
  name: z.string(),
  description: z.string(),
  version: z.string(),
  actions: z.array(actionManifestSchema),
});
export type ModuleManifest = z.infer<typeof moduleManifestSchema>;

export const manifestResponseSchema = z.object({ modules: z.array(moduleManifestSchema) });
export type ManifestResponse = z.infer<typeof manifestResponseSchema>;

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Header carrying the request id across both services and back to the client. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Header carrying who an action runs for (an API key id, or `agent:<name>` for system work),
 * so that what the DAWG asks of the control plane (a command through the firewall) is
 * recorded and approved as that caller's. Set only by the control plane, never by clients.
 */
export const ACTOR_HEADER = 'x-jarvis-actor';
export const actorId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._@-]{0,199}$/, 'must be an actor id (letters, digits, : . _ @ -; at most 200)');

/**
 * Header limiting what an action may change to what was created for this actor (a project it
 * made). The control plane sends it for callers without the admin scope; without it the
 * action may change anything (admin keys, system work, the service token used directly).
 */
export const OWNED_BY_HEADER = 'x-jarvis-owned-by';
