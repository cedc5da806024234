export { ACTION_GROUPS, CHATGPT_ACTIONS, actionPath, type ActionGroup, type ChatGptAction } from './chatgpt-actions';
export { buildChatGptDocument, chatGptOpenApiRoutes, chatGptRouteSpecs, GPT_MAX_OPERATIONS, mountChatGptOpenApiRoutes, renderChatGptYaml } from './chatgpt-openapi';
export { callResultSchema, chatGptActionRoutes, mountChatGptRoutes, queuedJobSchema } from './chatgpt.routes';
export { CHATGPT_MAX_RESPONSE_CHARS, fitForChatGpt, fitJobForChatGpt } from './response-budget';
