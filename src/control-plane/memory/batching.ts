export interface BatchLimits {
  /** Texts per provider call (OpenAI takes 2,048, Gemini 100, Mistral fewer: 96 fits all). */
  maxTexts: number;
  /** Characters per provider call, a stand-in for the providers' token budgets (≈4 chars a token). */
  maxChars: number;
}

/**
 * Splits texts into consecutive batches within both limits, in order. A text longer than
 * `maxChars` on its own gets a batch of its own: the provider decides whether it fits.
 */
export function toBatches<T extends { text: string }>(items: readonly T[], limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= limits.maxTexts || chars + item.text.length > limits.maxChars)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += item.text.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
