import { createHash } from 'node:crypto';
import type { Queryable } from '../../common/db';
import type { PreparedEntry } from './audit-sanitize';
import type { AuditEntry } from './audit-types';
import { canonicalJson, type JsonValue } from './canonical-json';

/** prev_hash of the first entry ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields the hash covers: everything but the hashes themselves. */
type Content = Omit<AuditEntry, 'prevHash' | 'hash'>;

export function entryHash(prevHash: string, content: Content): string {
  const { id, seq, createdAt, type, actor, subject, outcome, details } = content;
  const canonical = canonicalJson({ id, seq, createdAt, type, actor, subject, outcome, details: details as { [key: string]: JsonValue } });
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export interface AuditRow {
  seq: number | string;
  id: string;
  created_at: Date | string;
  type: string;
  actor: string | null;
  subject: string | null;
  outcome: string | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export const ROW_COLUMNS = 'seq, id, created_at, type, actor, subject, outcome, details, prev_hash, hash';

export function entryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    // int8 arrives as a string from pg and a number from PGlite.
    seq: Number(row.seq),
    createdAt: new Date(row.created_at).toISOString(),
    type: row.type,
    actor: row.actor,
    subject: row.subject,
    outcome: row.outcome,
    details: row.details ?? {},
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** One advisory lock per schema: every appender of this audit log, in any process, takes it. */
export function chainLockKey(schema: string): string {
  return `jarvis_audit:${schema}`;
}

export async function lockChain(tx: Queryable, schema: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [chainLockKey(schema)]);
}

/** The newest entry, else the newest checkpoint (everything was pruned), else the genesis. */
async function chainTail(tx: Queryable): Promise<{ seq: number; hash: string }> {
  const [last] = await tx.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  if (last) return { seq: Number(last.seq), hash: last.hash };
  const [checkpoint] = await tx.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  return checkpoint ? { seq: Number(checkpoint.seq), hash: checkpoint.hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * Chains `prepared` onto the tail and inserts it, inside the caller's transaction. The
 * advisory lock is held to commit, so appenders in other processes wait and then read the
 * tail this one wrote: the chain cannot fork and seq has no gaps.
 */
export async function appendToChain(tx: Queryable, schema: string, prepared: readonly PreparedEntry[]): Promise<AuditEntry[]> {
  await lockChain(tx, schema);
  let tail = await chainTail(tx);
  const entries = prepared.map((p) => {
    const content: Content = { ...p, seq: tail.seq + 1 };
    const entry: AuditEntry = { ...content, prevHash: tail.hash, hash: entryHash(tail.hash, content) };
    tail = entry;
    return entry;
  });
  await tx.query(
    `INSERT INTO audit_log (${ROW_COLUMNS})
     SELECT seq, id, created_at, type, actor, subject, outcome, details, prev_hash, hash
     FROM jsonb_to_recordset($1::jsonb) AS x(seq bigint, id uuid, created_at timestamptz, type text, actor text, subject text,
       outcome text, details jsonb, prev_hash text, hash text)`,
    [JSON.stringify(entries.map((e) => ({ seq: e.seq, id: e.id, created_at: e.createdAt, type: e.type, actor: e.actor, subject: e.subject, outcome: e.outcome, details: e.details, prev_hash: e.prevHash, hash: e.hash })))],
  );
  return entries;
}
