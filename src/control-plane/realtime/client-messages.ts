import { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../../common/validation';
import type { Channel } from './hub-events';

const requestId = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional();

const CHANNEL_PATTERN = /^(tasks|approvals|costs|health|suggestions|jobs\/(tsk|wf)_[0-9a-f-]{36})$/;
export const channelSchema = z
  .string({ message: 'must be a string' })
  .regex(CHANNEL_PATTERN, 'must be tasks, approvals, costs, health, suggestions or jobs/<task (tsk_…) or workflow (wf_…) id>')
  .transform((v) => v as Channel);

export const authMessage = z.strictObject({ type: z.literal('auth'), apiKey: z.string({ message: 'must be a string' }).min(1, 'must not be empty').max(512, 'must be at most 512 characters'), requestId });
export const subscribeMessage = z.strictObject({ type: z.literal('subscribe'), channel: channelSchema, requestId });
export const unsubscribeMessage = z.strictObject({ type: z.literal('unsubscribe'), channel: channelSchema, requestId });
export const decideMessage = z.strictObject({
  type: z.literal('approval.decide'),
  id: z.string({ message: 'must be a string' }).regex(/^apr_[0-9a-f-]{36}$/, 'must be an approval id (apr_…)'),
  decision: z.enum(['approve', 'deny'], { message: 'must be "approve" or "deny"' }),
  reason: z.string({ message: 'must be a string' }).max(1_000, 'must be at most 1000 characters').optional(),
  requestId,
});
export const pingMessage = z.strictObject({ type: z.literal('ping'), requestId });

const MESSAGE_TYPES = ['auth', 'subscribe', 'unsubscribe', 'approval.decide', 'ping'] as const;

/** Every message a client may send; the schema is the protocol's single source (docs/WEBSOCKET.md). */
export const clientMessage = z.discriminatedUnion('type', [authMessage, subscribeMessage, unsubscribeMessage, decideMessage, pingMessage], {
  error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${MESSAGE_TYPES.join(', ')}` : undefined),
});
export type ClientMessage = z.output<typeof clientMessage>;

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'INVALID_JSON' | 'INVALID_MESSAGE'; message: string; requestId?: string; field?: string; issues?: FieldIssue[] };

/** Parses one text frame. Never throws: a bad frame becomes an error naming the offending field. */
export function parseClientMessage(text: string): ParsedClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'INVALID_JSON', message: 'The message is not JSON: send one JSON object per frame' };
  }
  const result = clientMessage.safeParse(value);
  if (result.success) return { ok: true, message: result.data };
  // Echo the request id when it is usable, so the client can match the error to its request.
  const id = typeof value === 'object' && value !== null ? (value as { requestId?: unknown }).requestId : undefined;
  const issues = fieldIssues(result.error.issues, '').map((i) => ({ field: i.field || 'message', message: i.message }));
  return {
    ok: false,
    code: 'INVALID_MESSAGE',
    message: `Invalid message: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    ...(typeof id === 'string' && id.length > 0 && id.length <= 100 ? { requestId: id } : {}),
    field: issues[0]?.field,
    issues,
  };
}
