import type { ConversationMessage } from './conversation-schemas';

/**
 * The end of a session, as read from the database or the cache: its leading system message
 * (if its first message is one), and the messages after it, newest first.
 */
export interface SessionTail {
  head: ConversationMessage | null;
  recent: ConversationMessage[];
  /** `recent` holds every message after `head`: nothing older is missing. */
  complete: boolean;
}

export interface WindowBudget {
  maxMessages: number;
  maxChars: number;
}

/**
 * The most recent messages that fit the budget, oldest first, behind the leading system
 * message, which is always kept (and counted). The window is contiguous: an old message that
 * would fit is not taken after a newer one did not. Undefined when `tail` is too short to
 * tell (it ran out before the budget did, and older messages may exist).
 */
export function fitWindow(tail: SessionTail, budget: WindowBudget): ConversationMessage[] | undefined {
  const maxMessages = budget.maxMessages - (tail.head ? 1 : 0);
  let chars = budget.maxChars - (tail.head ? tail.head.content.length : 0);
  const picked: ConversationMessage[] = [];
  let full = picked.length >= maxMessages;
  for (const m of tail.recent) {
    if (full || m.content.length > chars) {
      full = true;
      break;
    }
    picked.push(m);
    chars -= m.content.length;
    full = picked.length >= maxMessages;
  }
  if (!full && !tail.complete) return undefined;
  picked.reverse();
  return tail.head ? [tail.head, ...picked] : picked;
}

/** What the cache keeps of a tail: its newest messages within the cache's own bounds. */
export function trimTail(tail: SessionTail, bounds: WindowBudget): SessionTail {
  const recent: ConversationMessage[] = [];
  let chars = 0;
  for (const m of tail.recent) {
    if (recent.length >= bounds.maxMessages || chars + m.content.length > bounds.maxChars) break;
    recent.push(m);
    chars += m.content.length;
  }
  return { head: tail.head, recent, complete: tail.complete && recent.length === tail.recent.length };
}
