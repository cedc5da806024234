import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db';
import { ForbiddenError } from '../../common/errors';
import type { Kv } from '../../common/kv';
import type { Logger } from '../../common/logger';
import { parseInput } from '../../common/validation';
import {
  AppendMessagesSchema,
  ConversationUserIdSchema,
  HistoryWindowQuerySchema,
  ListMessagesQuerySchema,
  SessionIdSchema,
  type AppendMessagesInput,
  type ConversationMessage,
  type HistoryWindowQuery,
  type ListMessagesQuery,
  type MessagePage,
  type MessageRole,
} from './conversations/conversation-schemas';
import { fitWindow, trimTail, type SessionTail, type WindowBudget } from './conversations/history-window';
import { WindowCache } from './conversations/window-cache';

export interface ConversationStoreOptions {
  db: Db;
  /** Where session tails are cached: RedisKv in production, MemoryKv without Redis. */
  kv: Kv;
  logger?: Logger;
  /** Default 10 minutes. */
  cacheTtlMs?: number;
  /** Per session: the newest messages kept in the cache (default 100, 1..500) and their characters (default 100 000). */
  cacheMessages?: number;
  cacheChars?: number;
  /** Default 'conv:'; a RedisKv adds its own prefix in front. */
  keyPrefix?: string;
  /** A Kv call slower than this is abandoned for the database (default 250 ms). */
  kvTimeoutMs?: number;
}

interface Row {
  id: string;
  seq: number | string;
  session_id: string;
  user_id: string;
  role: MessageRole;
  content: string;
  tokens: number | null;
  metadata: Record<string, unknown>;
  created_at: Date | string;
}

const toMessage = (r: Row): ConversationMessage => ({
  id: r.id,
  seq: Number(r.seq),
  sessionId: r.session_id,
  userId: r.user_id,
  role: r.role,
  content: r.content,
  tokens: r.tokens,
  metadata: r.metadata,
  createdAt: new Date(r.created_at).toISOString(),
});

const COLUMNS = 'id, seq, session_id, user_id, role, content, tokens, metadata, created_at';

/**
 * Conversation messages per session (migration 008), durable in PostgreSQL. The history
 * window for model context is served from a cache of each session's tail when it can be
 * (see WindowCache for why it is never stale after a write); everything else reads the
 * database. A session belongs to the user of its first message: appends by another user are refused.
 */
export class ConversationStore {
  private readonly db: Db;
  private readonly cache: WindowCache;
  private readonly cacheBounds: WindowBudget;

  constructor(options: ConversationStoreOptions) {
    this.db = options.db;
    this.cacheBounds = { maxMessages: options.cacheMessages ?? 100, maxChars: options.cacheChars ?? 100_000 };
    if (!(this.cacheBounds.maxMessages >= 1 && this.cacheBounds.maxMessages <= 500)) throw new Error('cacheMessages must be 1..500');
    if (!(this.cacheBounds.maxChars >= 1)) throw new Error('cacheChars must be positive');
    this.cache = new WindowCache(options.kv, {
      ttlMs: options.cacheTtlMs ?? 600_000,
      keyPrefix: options.keyPrefix ?? 'conv:',
      timeoutMs: options.kvTimeoutMs ?? 250,
      logger: options.logger,
    });
  }

  /** Appends messages to a session, in order, in one statement; returns them as stored. */
  async append(input: AppendMessagesInput): Promise<ConversationMessage[]> {
    const { sessionId, userId, messages } = parseInput(AppendMessagesSchema, input, 'conversation');
    const rows = await this.db.transaction(async (tx) => {
      // Serialises the first appends of a new session, so two users cannot both take it.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('conversation:' || $1))", [sessionId]);
      return tx.query<Row>(
        `INSERT INTO conversation_messages (id, session_id, user_id, role, content, tokens, metadata)
         SELECT u.id, $1, $2, u.role, u.content, u.tokens, u.metadata
         FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::jsonb[]) WITH ORDINALITY AS u(id, role, content, tokens, metadata, ord)
         WHERE NOT EXISTS (SELECT 1 FROM conversation_messages c WHERE c.session_id = $1 AND c.user_id <> $2)
         ORDER BY u.ord
         RETURNING ${COLUMNS}`,
        [
          sessionId,
          userId,
          messages.map(() => `msg_${randomUUID()}`),
          messages.map((m) => m.role),
          messages.map((m) => m.content),
          messages.map((m) => m.tokens ?? null),
          messages.map((m) => JSON.stringify(m.metadata ?? {})),
        ],
      );
    });
    if (!rows.length) throw new ForbiddenError(`Session ${sessionId} belongs to another user`, { sessionId });
    await this.cache.invalidate(sessionId);
    return rows.map(toMessage).sort((a, b) => a.seq - b.seq);
  }

  /** One page of a session's messages, oldest or newest first. */
  async list(sessionId: string, query: ListMessagesQuery = {}): Promise<MessagePage> {
    const session = parseInput(SessionIdSchema, sessionId, 'sessionId');
    const q = parseInput(ListMessagesQuerySchema, query, 'query');
    const [cmp, dir] = q.order === 'oldest' ? ['>', 'ASC'] : ['<', 'DESC'];
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM conversation_messages
       WHERE session_id = $1 AND ($2::bigint IS NULL OR seq ${cmp} $2::bigint)
       ORDER BY seq ${dir} LIMIT $3`,
      [session, q.cursor ?? null, q.limit + 1],
    );
    const page = rows.slice(0, q.limit).map(toMessage);
    return { messages: page, nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.seq) : null };
  }

  /**
   * The history for a model's context: the most recent messages within `maxMessages` and
   * `maxChars`, oldest first, behind the session's leading system message (always kept).
   */
  async window(sessionId: string, query: HistoryWindowQuery = {}): Promise<ConversationMessage[]> {
    const session = parseInput(SessionIdSchema, sessionId, 'sessionId');
    const budget = parseInput(HistoryWindowQuerySchema, query, 'query');
    const cached = await this.cache.read(session);
    const hit = cached.tail && fitWindow(cached.tail, budget);
    if (hit) return hit;
    const tail = await this.readTail(session, {
      maxMessages: Math.max(budget.maxMessages, this.cacheBounds.maxMessages),
      maxChars: Math.max(budget.maxChars, this.cacheBounds.maxChars),
    });
    // A cached tail too short for this budget stays: it is current, only smaller.
    if (cached.token && !cached.tail) await this.cache.store(session, cached.token, trimTail(tail, this.cacheBounds));
    // The tail was read to at least this budget, so it either holds the whole session or the
    // budget runs out within it: fitWindow answers. (The second call only satisfies the types.)
    return fitWindow(tail, budget) ?? fitWindow({ ...tail, complete: true }, budget)!;
  }

  /** The user a session belongs to, or undefined for a session without messages. */
  async owner(sessionId: string): Promise<string | undefined> {
    const session = parseInput(SessionIdSchema, sessionId, 'sessionId');
    const [row] = await this.db.query<{ user_id: string }>('SELECT user_id FROM conversation_messages WHERE session_id = $1 ORDER BY seq LIMIT 1', [session]);
    return row?.user_id;
  }

  async deleteSession(sessionId: string): Promise<number> {
    const session = parseInput(SessionIdSchema, sessionId, 'sessionId');
    const [row] = await this.db.query<{ n: number | string }>(
      'WITH d AS (DELETE FROM conversation_messages WHERE session_id = $1 RETURNING 1) SELECT count(*) AS n FROM d',
      [session],
    );
    await this.cache.invalidate(session);
    return Number(row!.n);
  }

  /** A user's complete erase: every message of theirs, in every session. */
  async deleteUser(userId: string): Promise<{ messages: number; sessions: number }> {
    const user = parseInput(ConversationUserIdSchema, userId, 'userId');
    const rows = await this.db.query<{ session_id: string; n: number | string }>(
      'WITH d AS (DELETE FROM conversation_messages WHERE user_id = $1 RETURNING session_id) SELECT session_id, count(*) AS n FROM d GROUP BY session_id',
      [user],
    );
    for (let i = 0; i < rows.length; i += 20) await Promise.all(rows.slice(i, i + 20).map((r) => this.cache.invalidate(r.session_id)));
    return { messages: rows.reduce((sum, r) => sum + Number(r.n), 0), sessions: rows.length };
  }

  /**
   * The leading system message and the newest messages after it, up to `bounds.maxMessages`
   * and the first to reach `bounds.maxChars` (so no more content is read than a window can use).
   */
  private async readTail(sessionId: string, bounds: WindowBudget): Promise<SessionTail> {
    const rows = await this.db.query<Row & { is_head: boolean; running: number | string }>(
      `WITH head AS (SELECT ${COLUMNS} FROM conversation_messages WHERE session_id = $1 ORDER BY seq LIMIT 1)
       SELECT h.*, true AS is_head, 0::bigint AS running FROM head h WHERE h.role = 'system'
       UNION ALL
       SELECT * FROM (
         SELECT ${COLUMNS}, false AS is_head, sum(length(content)) OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS running
         FROM conversation_messages
         WHERE session_id = $1 AND seq > coalesce((SELECT seq FROM head WHERE role = 'system'), 0)
         ORDER BY seq DESC LIMIT $2
       ) r WHERE r.running - length(r.content) <= $3`,
      [sessionId, bounds.maxMessages, bounds.maxChars],
    );
    const head = rows.find((r) => r.is_head);
    const recent = rows.filter((r) => !r.is_head).sort((a, b) => Number(b.seq) - Number(a.seq));
    const last = recent[recent.length - 1];
    // Nothing was cut: fewer rows than the limit, and the last one still within the characters.
    const complete = recent.length < bounds.maxMessages && (last === undefined || Number(last.running) <= bounds.maxChars);
    return { head: head ? toMessage(head) : null, recent: recent.map(toMessage), complete };
  }
}
