import type { ChatMessage, TokenUsage } from '../provider-types';

/**
 * A rough token count: about four characters per token for English text with the GPT/Claude/
 * Gemini tokenizers. Used only when a provider sends no usage; such counts carry `estimated: true`.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function estimateMessagesTokens(messages: readonly ChatMessage[]): number {
  return estimateTokens(messages.map((m) => m.content).join('\n'));
}

/** The provider's counts when it sent both, else our estimate for whichever is missing. */
export function usageOrEstimate(
  reported: { input?: number | null; output?: number | null } | undefined,
  estimate: { input: () => number; output: () => number },
): TokenUsage {
  const input = reported?.input ?? undefined;
  const output = reported?.output ?? undefined;
  return {
    inputTokens: input ?? estimate.input(),
    outputTokens: output ?? estimate.output(),
    estimated: input === undefined || output === undefined,
  };
}
