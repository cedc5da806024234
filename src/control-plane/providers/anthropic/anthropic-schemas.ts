import { z } from 'zod';

/**
 * The parts of Anthropic's Messages API we read, as documented at
 * https://docs.anthropic.com/en/api/messages and https://docs.anthropic.com/en/docs/build-with-claude/streaming.
 */

const count = z.number().int().nonnegative();

export const MessageSchema = z.object({
  model: z.string(),
  content: z.array(z.object({ type: z.string(), text: z.string().optional() })),
  stop_reason: z.string().nullish(),
  usage: z.object({ input_tokens: count, output_tokens: count }).optional(),
});

/** Every streamed event names its type; Anthropic may add types, which we then ignore. */
export const StreamEventTypeSchema = z.object({ type: z.string() });

export const MessageStartSchema = z.object({
  type: z.literal('message_start'),
  message: z.object({ model: z.string(), usage: z.object({ input_tokens: count, output_tokens: count.optional() }).optional() }),
});

/** `text_delta` carries answer text; other delta types (tool input JSON, thinking) do not. */
export const ContentBlockDeltaSchema = z.object({
  type: z.literal('content_block_delta'),
  delta: z.object({ type: z.string(), text: z.string().optional() }),
});

/** `usage.output_tokens` here is cumulative for the whole message. */
export const MessageDeltaSchema = z.object({
  type: z.literal('message_delta'),
  delta: z.object({ stop_reason: z.string().nullish() }),
  usage: z.object({ output_tokens: count, input_tokens: count.nullish() }).optional(),
});

const STOP_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_use',
  refusal: 'content_filter',
};

export function normaliseStopReason(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return STOP_REASONS[reason] ?? reason;
}
