import { z } from 'zod';
import { budgetSchema, chatAnswerSchema, chatBody, costReportSchema, costsQuery } from '../../http/ai-schemas';
import { memorySchema, recallQuery, rememberBody } from '../../http/memory-schemas';
import { defineTool } from './tool-definition';

const usd = (n: number) => `${n.toFixed(4)} USD`;

export const chatTool = defineTool({
  name: 'chat',
  title: 'Chat through the Jarvis AI router',
  description:
    'Sends messages to the model the smart router picks (by taskType, strategy, budget, capabilities), with retries and fallback, and books the cost. ' +
    'With no provider configured the offline model answers, labelled offline.',
  input: chatBody.omit({ stream: true }),
  output: chatAnswerSchema,
  // It spends money and writes the cost ledger, but changes nothing else.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  run: (body, { client, signal }) => client.call('POST', '/api/v1/ai/chat', chatAnswerSchema, { body, signal, long: true }),
  summary: (a) => `Answer from ${a.offline ? 'the offline model (no AI provider is configured)' : `${a.model} via ${a.provider}`}, ${usd(a.costUsd)}, ${a.latencyMs} ms:\n${a.content}`,
});

const rememberOutput = z.object({ action: z.enum(['created', 'updated']), memory: memorySchema, similarity: z.number().optional() });

export const rememberTool = defineTool({
  name: 'remember',
  title: 'Remember something',
  description: 'Stores a memory (note, fact, preference, ...) for the API key\'s user, searchable with recall. A near repeat of an existing memory updates it instead.',
  input: rememberBody,
  output: rememberOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: (body, { client, signal }) => client.call('POST', '/api/v1/memory', rememberOutput, { body, signal }),
  summary: (r) => `Memory ${r.memory.id} ${r.action}${r.similarity === undefined ? '' : ` (similarity ${r.similarity.toFixed(3)} to what it repeats)`}`,
});

const recallInput = z.strictObject({
  query: recallQuery.shape.q,
  k: recallQuery.shape.k.describe('How many memories, 1-50'),
  sessionId: recallQuery.shape.sessionId,
  agent: recallQuery.shape.agent,
  projectId: recallQuery.shape.projectId,
  type: recallQuery.shape.type,
  expand: z.boolean().default(false).describe('Also return memories of the projects/tracks the best hits\' sessions worked on (through the graph)'),
  userId: recallQuery.shape.userId,
});
const recallOutput = z.object({
  hits: z.array(
    memorySchema.extend({
      score: z.number(),
      similarity: z.number().nullable(),
      vectorRank: z.number().nullable(),
      textRank: z.number().nullable(),
      via: z.string().optional(),
    }),
  ),
});

export const recallTool = defineTool({
  name: 'recall',
  title: 'Recall memories',
  description: 'Searches the API key\'s user\'s memories by meaning and by words (fused ranking), best first.',
  input: recallInput,
  output: recallOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  fields: { 'query.q': 'query' },
  run: ({ query, ...scope }, { client, signal }) => client.call('GET', '/api/v1/memory/search', recallOutput, { query: { q: query, ...scope }, signal }),
  summary: ({ hits }) => (hits.length ? `${hits.length} memories, best first: ${hits.map((h) => JSON.stringify(h.content.slice(0, 80))).join('; ')}` : 'No memory matches'),
});

export const getCostsTool = defineTool({
  name: 'get_costs',
  title: 'AI costs',
  description: 'AI spend from the cost ledger, grouped by day, model or caller (default: this UTC month). Needs an API key with the admin scope.',
  input: costsQuery,
  output: costReportSchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (query, { client, signal }) => client.call('GET', '/api/v1/ai/costs', costReportSchema, { query, signal }),
  summary: (r) => `${r.total.calls} calls, ${usd(r.total.costUsd)}, ${r.total.inputTokens} input and ${r.total.outputTokens} output tokens from ${r.from} to ${r.to}`,
});

export const getBudgetTool = defineTool({
  name: 'get_budget',
  title: 'AI budget',
  description: 'This month\'s AI budget: the global scope and the API key\'s own, with limit, spent, reserved, remaining and state (ok, soft-alert, exhausted, unlimited).',
  input: z.strictObject({}),
  output: budgetSchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client, signal }) => client.call('GET', '/api/v1/ai/budget', budgetSchema, { signal }),
  summary: (b) => `${b.month}: ${b.scopes.map((s) => `${s.scope} ${s.state}, spent ${usd(s.spentUsd)}${s.limitUsd === null ? '' : ` of ${usd(s.limitUsd)}`}`).join('; ')}`,
});
