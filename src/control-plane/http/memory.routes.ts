import type { Response } from 'express';
import { ForbiddenError, NotFoundError, UnavailableError } from '../../common/errors';
import { fieldError, parseInput } from '../../common/validation';
import type { MemoryLayer } from '../memory';
import { principalOf } from './locals';
import {
  appendBody,
  forgetQuery,
  forgetResponseSchema,
  listMessagesQuery,
  memoryIdParams,
  memorySchema,
  messagePageResponseSchema,
  messagesResponseSchema,
  neighboursQuery,
  neighboursResponseSchema,
  nodeParams,
  pathQuery,
  pathResponseSchema,
  recallQuery,
  recallResponseSchema,
  rememberBody,
  rememberResponseSchema,
  sessionParams,
  windowQuery,
} from './memory-schemas';
import type { Mount, RouteSpec } from './route-spec';

const route = (spec: RouteSpec) => spec;

export const memoryRoutes = {
  remember: route({
    method: 'post',
    path: '/api/v1/memory',
    operationId: 'rememberMemory',
    summary: 'Store a memory for the calling key\'s user; a near repeat updates the memory it repeats',
    tier: 'integration',
    tag: 'memory',
    body: rememberBody,
    responses: { 201: { description: 'Created (action: created) or updated (action: updated)', schema: rememberResponseSchema }, 403: { description: 'userId of another user without the admin scope' } },
  }),
  search: route({
    method: 'get',
    path: '/api/v1/memory/search',
    operationId: 'recallMemories',
    summary: 'Recall memories: vector similarity and full-text search fused by reciprocal rank, within the caller\'s own memories',
    tier: 'integration',
    tag: 'memory',
    query: recallQuery,
    responses: { 200: { description: 'The best matches, best first', schema: recallResponseSchema } },
  }),
  forgetOne: route({
    method: 'delete',
    path: '/api/v1/memory/:id',
    operationId: 'forgetMemory',
    summary: 'Delete one memory (the caller\'s own; any with the admin scope)',
    tier: 'integration',
    tag: 'memory',
    params: memoryIdParams,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'No such memory of this user' } },
  }),
  forgetMany: route({
    method: 'delete',
    path: '/api/v1/memory',
    operationId: 'forgetMemories',
    summary: 'Erase a session (memories and conversation) or everything about a user (memories, conversations, graph nodes)',
    tier: 'integration',
    tag: 'memory',
    query: forgetQuery,
    responses: { 200: { description: 'What was erased, counted', schema: forgetResponseSchema }, 403: { description: 'Another user without the admin scope' } },
  }),
  neighbours: route({
    method: 'get',
    path: '/api/v1/graph/nodes/:id/neighbours',
    operationId: 'getGraphNeighbours',
    summary: 'A graph node\'s neighbours by edge type and direction (other users\' nodes hidden unless admin)',
    tier: 'integration',
    tag: 'memory',
    params: nodeParams,
    query: neighboursQuery,
    responses: { 200: { description: 'The neighbours and the edges that link them', schema: neighboursResponseSchema } },
  }),
  path: route({
    method: 'get',
    path: '/api/v1/graph/path',
    operationId: 'getGraphPath',
    summary: 'Shortest path between two graph nodes (null when none within maxDepth)',
    tier: 'integration',
    tag: 'memory',
    query: pathQuery,
    responses: { 200: { description: 'The shortest path, or null', schema: pathResponseSchema } },
  }),
  append: route({
    method: 'post',
    path: '/api/v1/conversations/:sessionId/messages',
    operationId: 'appendConversationMessages',
    summary: 'Append messages to a conversation session (the first writer owns the session)',
    tier: 'integration',
    tag: 'memory',
    params: sessionParams,
    body: appendBody,
    responses: { 201: { description: 'The stored messages', schema: messagesResponseSchema }, 403: { description: 'The session belongs to another user' } },
  }),
  list: route({
    method: 'get',
    path: '/api/v1/conversations/:sessionId/messages',
    operationId: 'listConversationMessages',
    summary: 'A session\'s messages, paged',
    tier: 'integration',
    tag: 'memory',
    params: sessionParams,
    query: listMessagesQuery,
    responses: { 200: { description: 'One page of messages', schema: messagePageResponseSchema }, 404: { description: 'No such session of this user' } },
  }),
  window: route({
    method: 'get',
    path: '/api/v1/conversations/:sessionId/window',
    operationId: 'getConversationWindow',
    summary: 'The most recent messages that fit a model context budget, oldest first (a leading system message kept)',
    tier: 'integration',
    tag: 'memory',
    params: sessionParams,
    query: windowQuery,
    responses: { 200: { description: 'The most recent messages within the budget, oldest first', schema: messagesResponseSchema }, 404: { description: 'No such session of this user' } },
  }),
} satisfies Record<string, RouteSpec>;

function requireMemory(memory: MemoryLayer | undefined): MemoryLayer {
  if (!memory) throw new UnavailableError('FEATURE_DISABLED', 'The memory layer is disabled (ENABLE_MEMORY_LAYER=false)');
  return memory;
}

/** Whose memories a request acts on: the calling key's own, or (admin scope) the one it names. */
function subject(res: Response, asked: string | undefined, field: string): { userId: string; admin: boolean } {
  const principal = principalOf(res)!;
  const admin = principal.scopes.includes('admin');
  if (asked !== undefined && asked !== principal.id && !admin) throw new ForbiddenError('Only admin keys may act on another user\'s memory', { field });
  return { userId: asked ?? principal.id, admin };
}

const view = <T extends { createdAt: Date; updatedAt: Date; contentHash?: string; dimensions?: number }>(m: T) => {
  const { contentHash: _h, dimensions: _d, ...rest } = m;
  return { ...rest, createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString() };
};

async function ownSession(memory: MemoryLayer, res: Response, sessionId: string): Promise<void> {
  const owner = await memory.conversations.owner(sessionId);
  const principal = principalOf(res)!;
  if (!owner || (owner !== principal.id && !principal.scopes.includes('admin'))) throw new NotFoundError(`No conversation ${sessionId}`, undefined, 'SESSION_NOT_FOUND');
}

export function mountMemoryRoutes(mount: Mount, deps: { memory?: MemoryLayer }): void {
  mount(memoryRoutes.remember, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { userId: asked, ...body } = parseInput(rememberBody, req.body, 'body');
    const { userId } = subject(res, asked, 'body.userId');
    const outcome = await memory.manager.remember({ ...body, userId });
    res.status(201).json({ action: outcome.action, memory: memorySchema.parse(view(outcome.memory)), ...(outcome.similarity === undefined ? {} : { similarity: outcome.similarity }) });
  });
  mount(memoryRoutes.search, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { q, userId: asked, ...scope } = parseInput(recallQuery, req.query, 'query');
    const { userId } = subject(res, asked, 'query.userId');
    const hits = await memory.manager.recall({ query: q, userId, ...scope });
    res.json({ hits: hits.map(view) });
  });
  mount(memoryRoutes.forgetOne, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { id } = parseInput(memoryIdParams, req.params, 'params');
    const principal = principalOf(res)!;
    await memory.manager.forget(id, principal.scopes.includes('admin') ? undefined : principal.id);
    res.status(204).end();
  });
  mount(memoryRoutes.forgetMany, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const query = parseInput(forgetQuery, req.query, 'query');
    if (query.sessionId) {
      if (query.userId) throw fieldError('query.userId', 'give either userId or sessionId');
      const owner = await memory.conversations.owner(query.sessionId);
      const principal = principalOf(res)!;
      if (owner && owner !== principal.id && !principal.scopes.includes('admin')) throw new ForbiddenError('The session belongs to another user', { field: 'query.sessionId' });
      res.json({ sessionId: query.sessionId, erased: await memory.manager.forgetSession(query.sessionId, principal.scopes.includes('admin') ? undefined : principal.id) });
      return;
    }
    const { userId } = subject(res, query.userId, 'query.userId');
    res.json({ userId, erased: await memory.manager.forgetUser(userId) });
  });
  mount(memoryRoutes.neighbours, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { id } = parseInput(nodeParams, req.params, 'params');
    const q = parseInput(neighboursQuery, req.query, 'query');
    const { userId, admin } = subject(res, undefined, 'query');
    const neighbours = await memory.graph.neighbours(id, { direction: q.direction, limit: q.limit, ...(q.types ? { types: q.types.split(',').map((t) => t.trim()) } : {}), ...(admin ? {} : { visibleTo: userId }) });
    res.json({ neighbours });
  });
  mount(memoryRoutes.path, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const q = parseInput(pathQuery, req.query, 'query');
    const { userId, admin } = subject(res, undefined, 'query');
    res.json({ path: await memory.graph.shortestPath(q.from, q.to, { maxDepth: q.maxDepth, direction: q.direction, ...(admin ? {} : { visibleTo: userId }) }) });
  });
  mount(memoryRoutes.append, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { sessionId } = parseInput(sessionParams, req.params, 'params');
    const body = parseInput(appendBody, req.body, 'body');
    const messages = await memory.conversations.append({ sessionId, userId: principalOf(res)!.id, messages: body.messages });
    res.status(201).json({ messages });
  });
  mount(memoryRoutes.list, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { sessionId } = parseInput(sessionParams, req.params, 'params');
    const q = parseInput(listMessagesQuery, req.query, 'query');
    await ownSession(memory, res, sessionId);
    res.json(await memory.conversations.list(sessionId, q));
  });
  mount(memoryRoutes.window, async (req, res) => {
    const memory = requireMemory(deps.memory);
    const { sessionId } = parseInput(sessionParams, req.params, 'params');
    const q = parseInput(windowQuery, req.query, 'query');
    await ownSession(memory, res, sessionId);
    res.json({ messages: await memory.conversations.window(sessionId, q) });
  });
}
