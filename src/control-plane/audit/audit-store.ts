import type { Db, Queryable } from '../../common/db';
import { appendToChain, entryOf, lockChain, ROW_COLUMNS, type AuditRow } from './audit-chain';
import { prepareEntry } from './audit-sanitize';
import type { AuditCheckpoint, AuditEntry, AuditFilter, AuditPage } from './audit-types';
import { PRUNED_TYPE } from './audit-verifier';

/** Newest first; `type` may end in ".*" to match every type under a prefix. */
export async function queryEntries(db: Queryable, filter: AuditFilter): Promise<AuditPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (filter.type?.endsWith('.*')) add((p) => `starts_with(type, ${p})`, filter.type.slice(0, -1));
  else if (filter.type) add((p) => `type = ${p}`, filter.type);
  if (filter.actor) add((p) => `actor = ${p}`, filter.actor);
  if (filter.subject) add((p) => `subject = ${p}`, filter.subject);
  if (filter.from) add((p) => `created_at >= ${p}`, filter.from.toISOString());
  if (filter.to) add((p) => `created_at < ${p}`, filter.to.toISOString());
  if (filter.before !== undefined) add((p) => `seq < ${p}`, filter.before);
  const limit = Math.max(1, Math.min(500, Math.trunc(filter.limit)));
  // One row more than asked tells whether an older page exists.
  const rows = await db.query<AuditRow>(
    `SELECT ${ROW_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit + 1}`,
    params,
  );
  const entries = rows.slice(0, limit).map(entryOf);
  return { entries, nextBefore: rows.length > limit ? entries[entries.length - 1]!.seq : null };
}

export interface PruneOutcome {
  pruned: number;
  checkpoint: AuditCheckpoint | null;
  /** The audit.pruned entry that names the checkpoint (so verify can trust it). */
  entry?: AuditEntry;
}

/**
 * Deletes the entries older than `cutoff`, always a prefix of the chain (everything up to the
 * newest old entry, so clocks that disagree a little between instances leave no holes). In
 * the same transaction, under the append lock: a checkpoint row with the seq and hash of
 * the last entry deleted, the delete itself (the only one the append-only trigger lets
 * through, and only in this transaction), and an audit.pruned entry naming the checkpoint.
 */
export async function pruneChain(db: Db, cutoff: Date, now: Date): Promise<PruneOutcome> {
  return db.transaction(async (tx) => {
    await lockChain(tx, db.schema);
    const [last] = await tx.query<{ seq: number | string; hash: string }>(
      'SELECT seq, hash FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log WHERE created_at < $1)',
      [cutoff.toISOString()],
    );
    if (!last) return { pruned: 0, checkpoint: null };
    const seq = Number(last.seq);
    await tx.query("SELECT set_config('jarvis.audit_prune', 'on', true)");
    const [deleted] = await tx.query<{ n: number | string }>('WITH gone AS (DELETE FROM audit_log WHERE seq <= $1 RETURNING 1) SELECT count(*) AS n FROM gone', [seq]);
    await tx.query("SELECT set_config('jarvis.audit_prune', 'off', true)");
    const checkpoint: AuditCheckpoint = { seq, hash: last.hash, pruned: Number(deleted?.n ?? 0), createdAt: now.toISOString() };
    await tx.query('INSERT INTO audit_checkpoints (seq, hash, pruned, created_at) VALUES ($1, $2, $3, $4)', [seq, checkpoint.hash, checkpoint.pruned, checkpoint.createdAt]);
    const details = { checkpointSeq: seq, checkpointHash: checkpoint.hash, pruned: checkpoint.pruned, olderThan: cutoff.toISOString() };
    const [entry] = await appendToChain(tx, db.schema, [prepareEntry({ type: PRUNED_TYPE, actor: 'system', details }, now)]);
    return { pruned: checkpoint.pruned, checkpoint, entry };
  });
}
