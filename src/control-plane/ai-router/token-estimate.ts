import type { ChatMessage } from '../providers/provider-types';

/**
 * Token counts before a call, without each provider's tokenizer. English averages about four
 * characters per token; code, numbers and non-Latin scripts run denser, so routing and budget
 * reservations use the conservative bound (UTF-8 bytes / 3, plus per-message framing), and
 * the ledger replaces it with the provider's reported usage after the call.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let tokens = 3;
  for (const message of messages) tokens += 4 + Math.ceil(Buffer.byteLength(message.content, 'utf8') / 3);
  return tokens;
}
