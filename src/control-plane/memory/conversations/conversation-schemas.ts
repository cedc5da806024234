import { z } from 'zod';
import { printableId } from '../../../common/validation';

export const MESSAGE_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

const MAX_METADATA_BYTES = 16_384;
/** Session ids become cache keys: a small safe alphabet. */
export const SessionIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : -').describe('Conversation session id');
export const ConversationUserIdSchema = printableId(200);

export const NewMessageSchema = z.strictObject({
  role: z.enum(MESSAGE_ROLES),
  /** May be empty (an assistant turn that only calls tools). */
  content: z.string().max(100_000),
  tokens: z.int().min(0).max(10_000_000).optional(),
  metadata: z
    .record(z.string().min(1).max(100), z.json())
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
    .optional(),
});

export const AppendMessagesSchema = z.strictObject({
  sessionId: SessionIdSchema,
  userId: ConversationUserIdSchema,
  /** Stored in this order, after every message already in the session. */
  messages: z.array(NewMessageSchema).min(1).max(500),
});

export const ListMessagesQuerySchema = z.strictObject({
  order: z.enum(['oldest', 'newest']).default('oldest'),
  limit: z.int().min(1).max(500).default(50),
  /** nextCursor of the previous page. */
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a nextCursor from a previous page').optional(),
});

export const HistoryWindowQuerySchema = z.strictObject({
  maxMessages: z.int().min(1).max(500).default(50),
  /** Characters of content, as JavaScript counts them (UTF-16 code units). */
  maxChars: z.int().min(1).max(2_000_000).default(32_000),
});

export type MessageRole = (typeof MESSAGE_ROLES)[number];
export type NewMessage = z.input<typeof NewMessageSchema>;
export type AppendMessagesInput = z.input<typeof AppendMessagesSchema>;
export type ListMessagesQuery = z.input<typeof ListMessagesQuerySchema>;
export type HistoryWindowQuery = z.input<typeof HistoryWindowQuerySchema>;

export interface ConversationMessage {
  id: string;
  /** Position in the whole table: orders a session's messages. */
  seq: number;
  sessionId: string;
  userId: string;
  role: MessageRole;
  content: string;
  tokens: number | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface MessagePage {
  messages: ConversationMessage[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}
