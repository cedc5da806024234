import { z } from 'zod';
import { errorBodySchema } from '../../common/protocol';
import { VERSION } from '../../common/version';
import type { RouteSpec } from '../http/route-spec';

type JsonSchema = Record<string, unknown>;

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** /a/:id → /a/{id} */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function parameters(spec: RouteSpec): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
    if (!schema) continue;
    for (const [name, field] of Object.entries(schema.shape)) {
      const fieldSchema = field as z.ZodType;
      out.push({ name, in: where, required: where === 'path' || !fieldSchema.safeParse(undefined).success, schema: jsonSchema(fieldSchema, 'input') });
    }
  }
  return out;
}

const errorRef = { $ref: '#/components/schemas/Error' };

/** The error answers every route of a tier can give, on top of the ones it lists itself. */
function standardErrors(spec: RouteSpec): Record<string, string> {
  const errors: Record<string, string> = {};
  if (spec.body || spec.params || spec.query) errors['400'] = 'Invalid input; error.details.issues names each field';
  if (spec.tier !== 'public') errors['401'] = 'Missing or invalid credentials';
  if (spec.tier === 'admin' || spec.tier === 'devops') errors['403'] = `The key lacks the "${spec.tier}" scope`;
  errors['429'] = 'Rate limited; see Retry-After';
  errors['500'] = 'Internal error';
  return errors;
}

export type Security = Array<Record<string, string[]>>;
const BOTH_SCHEMES: Security = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** One route as an OpenAPI operation; `security` is what a non-public route asks for. */
export function operation(spec: RouteSpec, security: Security = BOTH_SCHEMES): JsonSchema {
  const responses: JsonSchema = {};
  for (const [status, description] of Object.entries(standardErrors(spec))) {
    responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
  }
  for (const [status, response] of Object.entries(spec.responses)) {
    const schema = response.schema ? jsonSchema(response.schema, 'output') : Number(status) >= 400 ? errorRef : undefined;
    responses[status] = { description: response.description, ...(schema ? { content: { 'application/json': { schema } } } : {}) };
  }
  const params = parameters(spec);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(params.length ? { parameters: params } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } } } : {}),
    responses,
    security: spec.tier === 'public' ? [] : security,
    ...(spec.consequential === undefined ? {} : { 'x-openai-isConsequential': spec.consequential }),
  };
}

/** OpenAPI 3.1 for the control plane, generated from the same route specs that mount the routes. */
export function buildOpenApiDocument(routes: readonly RouteSpec[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of routes) {
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jarvis control plane',
      version: VERSION,
      description: 'AI control plane: module execution on the AI DAWG, API keys, health.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (jrv_...) or JARVIS_AUTH_TOKEN' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
