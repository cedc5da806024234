import { z } from 'zod';

/**
 * The parts of the OpenAI Chat Completions and Embeddings answers we read, as documented at
 * https://platform.openai.com/docs/api-reference/chat/object (and `/chat/streaming`,
 * `/embeddings/object`). Mistral and OpenAI-compatible local servers answer the same shape.
 * Unknown fields are ignored, so additions on the provider side do not break us.
 */

const UsageSchema = z
  .object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative().optional() })
  .nullish();

/** Mistral's reasoning models answer a list of chunks (`thinking`, `text`) instead of a string. */
const ContentSchema = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }))]).nullish();

export type OpenAiContent = z.infer<typeof ContentSchema>;

export const ChatCompletionSchema = z.object({
  model: z.string(),
  choices: z
    .array(z.object({ message: z.object({ content: ContentSchema }), finish_reason: z.string().nullish() }))
    .min(1),
  usage: UsageSchema,
});

export const ChatCompletionChunkSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(z.object({ delta: z.object({ content: ContentSchema }).optional(), finish_reason: z.string().nullish() }))
    .optional(),
  usage: UsageSchema,
  /** Sent instead of a chunk when generation fails after the stream started. */
  error: z.unknown().optional(),
});

export const EmbeddingsSchema = z.object({
  model: z.string().optional(),
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative() }).nullish(),
});

/** Text of a message or delta; thinking chunks are not part of the answer. */
export function contentText(content: OpenAiContent): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text ?? '')
    .join('');
}

const FINISH_REASONS: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  model_length: 'length', // Mistral: the model's context window was reached
  content_filter: 'content_filter',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

export function normaliseFinishReason(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return FINISH_REASONS[reason] ?? reason;
}
