import type { Queryable } from '../../common/db';
import { entryHash, entryOf, GENESIS_HASH, ROW_COLUMNS, type AuditRow } from './audit-chain';
import type { AuditBreak, AuditCheckpoint, AuditEntry, AuditVerifyResult } from './audit-types';

const PAGE = 1_000;
/** The entry type prune appends; its details name the checkpoint it wrote. */
export const PRUNED_TYPE = 'audit.pruned';

interface CheckpointRow {
  seq: number | string;
  hash: string;
  pruned: number | string;
  created_at: Date | string;
}

export async function latestCheckpoint(db: Queryable): Promise<AuditCheckpoint | undefined> {
  const [row] = await db.query<CheckpointRow>('SELECT seq, hash, pruned, created_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  return row ? { seq: Number(row.seq), hash: row.hash, pruned: Number(row.pruned), createdAt: new Date(row.created_at).toISOString() } : undefined;
}

/** Why `entry` does not follow an intact chain ending at (seq, hash), or undefined when it does. */
function breakOf(entry: AuditEntry, expectedSeq: number, prevHash: string): AuditBreak | undefined {
  const at = { seq: entry.seq, id: entry.id };
  if (entry.seq > expectedSeq) {
    const missing = entry.seq - 1 === expectedSeq ? `entry ${expectedSeq} is` : `entries ${expectedSeq}-${entry.seq - 1} are`;
    return { ...at, reason: `${missing} missing: found entry ${entry.seq} where ${expectedSeq} should be` };
  }
  if (entry.seq < expectedSeq) return { ...at, reason: `entry ${entry.seq} lies before the start of the chain (entry ${expectedSeq}) yet is still stored` };
  if (entry.prevHash !== prevHash) return { ...at, reason: `prev_hash does not match the hash of entry ${expectedSeq - 1}: entries were removed, reordered or rewritten` };
  if (entryHash(prevHash, entry) !== entry.hash) return { ...at, reason: 'content does not match its hash: the entry was edited' };
  return undefined;
}

function attests(entry: AuditEntry, checkpoint: AuditCheckpoint): boolean {
  return entry.type === PRUNED_TYPE && entry.details.checkpointSeq === checkpoint.seq && entry.details.checkpointHash === checkpoint.hash;
}

/**
 * Recomputes the chain from the latest checkpoint (or the first entry ever) to the newest
 * entry, page by page so memory stays flat, and stops at the first entry that fails.
 *
 * A checkpoint is only trusted when a later entry of the chain (the one prune appends)
 * names it: otherwise deleting the oldest entries and inserting a matching checkpoint row
 * would pass unnoticed. What a hash chain cannot show on its own is the newest entries
 * being cut off, or the whole tail rewritten and rehashed; AuditLog.verify compares the
 * Redis mirror's copies of the newest entries for that (audit-witness.ts).
 */
export async function verifyChain(db: Queryable): Promise<AuditVerifyResult> {
  const checkpoint = await latestCheckpoint(db);
  let expectedSeq = (checkpoint?.seq ?? 0) + 1;
  let prevHash = checkpoint?.hash ?? GENESIS_HASH;
  let checked = 0;
  let attested = false;
  const base = checkpoint ? { checkpoint } : {};
  for (;;) {
    // From the very first row, not from the checkpoint: a row left at or below it is flagged too.
    const after = checked ? expectedSeq - 1 : -1;
    const rows = await db.query<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`, [after]);
    for (const row of rows) {
      const entry = entryOf(row);
      const broken = breakOf(entry, expectedSeq, prevHash);
      if (broken) return { ok: false, checked, firstBroken: broken, ...base };
      if (checkpoint && attests(entry, checkpoint)) attested = true;
      checked += 1;
      expectedSeq += 1;
      prevHash = entry.hash;
    }
    if (rows.length < PAGE) break;
  }
  if (checkpoint && !attested) {
    return { ok: false, checked, firstBroken: { seq: checkpoint.seq, id: null, reason: `checkpoint at entry ${checkpoint.seq} is not named by any audit.pruned entry: it was not written by prune` }, ...base };
  }
  return { ok: true, checked, ...base };
}
