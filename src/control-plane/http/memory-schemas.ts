import { z } from 'zod';
import { printableId, wholeNumberFromText } from '../../common/validation';
import { MESSAGE_ROLES, NewMessageSchema } from '../memory';
import { SessionIdSchema } from '../memory/conversations';
import { GraphNodeIdSchema } from '../memory/graph';

/** Request and response schemas of the memory, graph and conversation routes. */
const scopeId = printableId(200);
const int = (min: number, max: number, fallback: number) => wholeNumberFromText().min(min).max(max).default(fallback);

export const rememberBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(20_000),
  type: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a lowercase type such as note, fact, preference').default('note'),
  sessionId: scopeId.optional(),
  agent: scopeId.optional(),
  projectId: scopeId.optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  userId: scopeId.optional().describe('Admin keys only: whose memory this is (default: the calling key)'),
});

export const recallQuery = z.strictObject({
  q: z.string().trim().min(1, 'must not be empty').max(2_000).describe('What to recall, in words'),
  k: int(1, 50, 5),
  sessionId: scopeId.optional(),
  agent: scopeId.optional(),
  projectId: scopeId.optional(),
  type: z.string().max(64).optional(),
  expand: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false').transform((v) => v === 'true').describe('Also return memories of the projects/tracks the best hits\' sessions worked on (through the graph)'),
  userId: scopeId.optional().describe('Admin keys only: whose memories to search (default: the calling key)'),
});

export const memoryIdParams = z.strictObject({ id: z.string().regex(/^mem_[0-9a-f-]{36}$/, 'must be a memory id (mem_…)') });
export const forgetQuery = z.strictObject({
  userId: scopeId.optional().describe('Erase everything about this user (non-admin keys: only themselves)'),
  sessionId: scopeId.optional().describe('Or: erase one session (its memories and conversation)'),
});

export const memorySchema = z.object({
  id: z.string(),
  type: z.string(),
  content: z.string(),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  agent: z.string().nullable(),
  projectId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  embeddingModel: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const nodeParams = z.strictObject({ id: GraphNodeIdSchema });
export const neighboursQuery = z.strictObject({
  direction: z.enum(['out', 'in', 'both']).default('both'),
  types: z.string().max(500).optional().describe('Edge types, comma-separated'),
  limit: int(1, 500, 50),
});
export const pathQuery = z.strictObject({
  from: GraphNodeIdSchema,
  to: GraphNodeIdSchema,
  maxDepth: int(1, 6, 4),
  direction: z.enum(['out', 'in', 'both']).default('both'),
});

export const sessionParams = z.strictObject({ sessionId: SessionIdSchema });
export const appendBody = z.strictObject({
  messages: z.array(NewMessageSchema).min(1).max(500),
});
export const listMessagesQuery = z.strictObject({
  order: z.enum(['oldest', 'newest']).default('oldest'),
  limit: int(1, 500, 50),
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a nextCursor from a previous page').optional(),
});
export const windowQuery = z.strictObject({ maxMessages: int(1, 500, 50), maxChars: int(1, 2_000_000, 32_000) });

// Response bodies (OpenAPI: what ChatGPT Actions and other clients read back).
export const rememberResponseSchema = z.object({
  action: z.enum(['created', 'updated']),
  memory: memorySchema,
  similarity: z.number().optional().describe('With action updated: how close the new text was to the memory it repeats'),
});
export const recallResponseSchema = z.object({
  hits: z.array(
    memorySchema.extend({
      score: z.number().describe('Reciprocal-rank fusion of the vector and text rankings (higher is better)'),
      similarity: z.number().nullable(),
      vectorRank: z.number().int().nullable(),
      textRank: z.number().int().nullable(),
      via: z.string().optional().describe('A memory brought in by graph expansion: the project or track node that linked it'),
    }),
  ),
});
export const forgetResponseSchema = z.union([
  z.object({ userId: z.string(), erased: z.object({ memories: z.number().int(), messages: z.number().int(), graphNodes: z.number().int(), graphEdges: z.number().int() }) }),
  z.object({ sessionId: z.string(), erased: z.object({ memories: z.number().int(), messages: z.number().int() }) }),
]);
const graphNodeSchema = z.object({ id: z.string(), kind: z.string(), label: z.string(), properties: z.record(z.string(), z.unknown()), createdAt: z.string(), updatedAt: z.string() });
const graphEdgeSchema = z.object({ from: z.string(), to: z.string(), type: z.string(), properties: z.record(z.string(), z.unknown()), createdAt: z.string() });
export const neighboursResponseSchema = z.object({
  neighbours: z.array(z.object({ node: graphNodeSchema, edge: graphEdgeSchema, direction: z.enum(['out', 'in']) })),
});
export const pathResponseSchema = z.object({
  path: z.object({ nodes: z.array(graphNodeSchema), edges: z.array(graphEdgeSchema), length: z.number().int() }).nullable().describe('null: no path within maxDepth'),
});
const messageSchema = z.object({
  id: z.string(),
  seq: z.number().int(),
  sessionId: z.string(),
  userId: z.string(),
  role: z.enum(MESSAGE_ROLES),
  content: z.string(),
  tokens: z.number().int().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export const messagesResponseSchema = z.object({ messages: z.array(messageSchema) });
export const messagePageResponseSchema = z.object({ messages: z.array(messageSchema), nextCursor: z.string().nullable() });
