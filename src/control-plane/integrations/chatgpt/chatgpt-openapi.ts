import { stringify } from 'yaml';
import { z } from 'zod';
import { errorBodySchema } from '../../../common/protocol';
import { VERSION } from '../../../common/version';
import { parseInput } from '../../../common/validation';
import { agentRoutes } from '../../http/agents.routes';
import type { Mount, RouteSpec } from '../../http/route-spec';
import { jsonSchema, openApiPath, operation } from '../../openapi/openapi-document';
import { ACTION_GROUPS, CHATGPT_ACTIONS, type ActionGroup } from './chatgpt-actions';
import { chatGptActionRoutes } from './chatgpt.routes';

/** GPT Actions import at most 30 operations from one document. */
export const GPT_MAX_OPERATIONS = 30;

type JsonObject = Record<string, unknown>;

/** The operations of one document: the actions (all, or one group's) and job polling. */
export function chatGptRouteSpecs(group?: ActionGroup): RouteSpec[] {
  const actions = CHATGPT_ACTIONS.filter((a) => group === undefined || a.group === group).map((a) => chatGptActionRoutes[a.operationId]!);
  return [...actions, agentRoutes.job];
}

/**
 * The OpenAPI 3.1 document a Custom GPT imports: generated from the same route specs (and so
 * the same zod schemas) that mount and validate the actions. Bearer auth only, because a GPT
 * Action takes one scheme (API key, "Bearer"). `serverUrl` must be the https address ChatGPT
 * reaches (JARVIS_PUBLIC_URL).
 */
export function buildChatGptDocument(serverUrl: string, group?: ActionGroup): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const spec of chatGptRouteSpecs(group)) {
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation(spec, [{ bearerAuth: [] }]);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: group ? `Jarvis ${group} actions` : 'Jarvis actions',
      version: VERSION,
      description:
        'Jarvis AI control plane: music production, DevOps, analytics, marketing and testing through its agents and the AI DAWG. Long operations answer 202 with a jobId; poll getJobStatus.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A Jarvis API key (jrv_…)' } },
    },
  };
}

export const renderChatGptYaml = (serverUrl: string, group?: ActionGroup) => stringify(buildChatGptDocument(serverUrl, group), { lineWidth: 0, aliasDuplicateObjects: false });

const groupParams = z.strictObject({ group: z.enum(ACTION_GROUPS).describe('An action group: one smaller document to import') });

export const chatGptOpenApiRoutes = {
  document: {
    method: 'get',
    path: '/integrations/chatgpt/openapi.yaml',
    operationId: 'getChatGptOpenApi',
    summary: 'OpenAPI 3.1 (YAML) of every ChatGPT Action, to import into a Custom GPT',
    tier: 'public',
    tag: 'meta',
    responses: { 200: { description: 'application/yaml' } },
  },
  group: {
    method: 'get',
    path: '/integrations/chatgpt/openapi/:group.yaml',
    operationId: 'getChatGptGroupOpenApi',
    summary: 'OpenAPI 3.1 (YAML) of one action group and job polling',
    tier: 'public',
    tag: 'meta',
    params: groupParams,
    responses: { 200: { description: 'application/yaml' }, 400: { description: 'Unknown group (the valid ones are listed)' } },
  },
} satisfies Record<string, RouteSpec>;

export function mountChatGptOpenApiRoutes(mount: Mount, publicUrl: string): void {
  // Each document depends only on code and JARVIS_PUBLIC_URL: rendered when first asked for
  // (all nine take ~0.1 s, which start-up need not pay), then kept.
  const rendered = new Map<ActionGroup | 'all', string>();
  const documentOf = (group?: ActionGroup) => {
    const key = group ?? 'all';
    let yaml = rendered.get(key);
    if (yaml === undefined) rendered.set(key, (yaml = renderChatGptYaml(publicUrl, group)));
    return yaml;
  };
  mount(chatGptOpenApiRoutes.document, (_req, res) => {
    res.type('application/yaml').send(documentOf());
  });
  mount(chatGptOpenApiRoutes.group, (req, res) => {
    const { group } = parseInput(groupParams, req.params, 'params');
    res.type('application/yaml').send(documentOf(group));
  });
}
