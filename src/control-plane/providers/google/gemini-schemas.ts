import { z } from 'zod';

/**
 * The parts of the Gemini API (v1beta) answers we read, as documented at
 * https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse and
 * https://ai.google.dev/api/embeddings#method:-models.batchembedcontents.
 */

const count = z.number().int().nonnegative();

/** `thought: true` parts are the model's reasoning summary, not the answer. */
const PartSchema = z.object({ text: z.string().optional(), thought: z.boolean().optional() });

/** One answer, or one streamed chunk of it (`streamGenerateContent?alt=sse` sends these as `data:`). */
export const GenerateContentSchema = z.object({
  candidates: z
    .array(z.object({ content: z.object({ parts: z.array(PartSchema).optional() }).optional(), finishReason: z.string().optional() }))
    .optional(),
  // Cumulative in a stream: the last chunk's counts are the totals.
  usageMetadata: z
    .object({ promptTokenCount: count.optional(), candidatesTokenCount: count.optional(), thoughtsTokenCount: count.optional() })
    .optional(),
  modelVersion: z.string().optional(),
  /** Present instead of candidates when the prompt itself was blocked. */
  promptFeedback: z.object({ blockReason: z.string().optional() }).optional(),
  error: z.unknown().optional(),
});
export type GenerateContentAnswer = z.infer<typeof GenerateContentSchema>;

export const BatchEmbedSchema = z.object({ embeddings: z.array(z.object({ values: z.array(z.number()) })) });

const FINISH_REASONS: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
};

/** The answer's text, finish reason and token counts from one response or chunk. */
export function readCandidate(answer: GenerateContentAnswer): { text: string; finishReason: string | null } {
  const candidate = answer.candidates?.[0];
  const text = (candidate?.content?.parts ?? [])
    .filter((p) => p.thought !== true)
    .map((p) => p.text ?? '')
    .join('');
  const raw = candidate?.finishReason;
  const blocked = answer.promptFeedback?.blockReason ? 'content_filter' : null;
  return { text, finishReason: raw ? (FINISH_REASONS[raw] ?? raw) : blocked };
}

/** Thinking tokens are billed as output, so they count as output here. */
export function reportedTokens(answer: GenerateContentAnswer): { input?: number; output?: number } {
  const usage = answer.usageMetadata;
  if (!usage) return {};
  const output = usage.candidatesTokenCount === undefined ? undefined : usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0);
  return { input: usage.promptTokenCount, output };
}
