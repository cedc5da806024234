import type { Queryable } from '../../common/db';
import type { AuditBreak } from './audit-types';
import { latestCheckpoint } from './audit-verifier';

/** An entry as a copy kept outside the database saw it: enough to tell whether the database still holds it. */
export interface WitnessedEntry {
  seq: number;
  hash: string;
  /** Null when the copy does not carry it. */
  id: string | null;
}

export interface WitnessComparison {
  /** Witnessed entries that were compared (those pruned since are not). */
  compared: number;
  broken?: AuditBreak;
}

/**
 * Checks that the database still holds every witnessed entry, unchanged. This is what the
 * chain alone cannot show: its newest entries cut off, or the whole tail rewritten and
 * rehashed. Read the witnesses *before* calling this: a copy is made after its entry's
 * commit, so every witnessed entry must be found, unless a prune removed it since, which the
 * checkpoint read after the rows tells.
 */
export async function compareWithWitnesses(db: Queryable, witnessed: readonly WitnessedEntry[], source: string): Promise<WitnessComparison> {
  if (!witnessed.length) return { compared: 0 };
  const seqs = [...new Set(witnessed.map((w) => w.seq))];
  const rows = await db.query<{ seq: number | string; hash: string }>('SELECT seq, hash FROM audit_log WHERE seq = ANY($1::bigint[])', [seqs]);
  const [newest] = await db.query<{ seq: number | string | null }>('SELECT max(seq) AS seq FROM audit_log');
  const prunedUpTo = (await latestCheckpoint(db))?.seq ?? 0;
  const stored = new Map(rows.map((r) => [Number(r.seq), r.hash]));
  const newestSeq = newest?.seq === null || newest?.seq === undefined ? undefined : Number(newest.seq);

  let compared = 0;
  let broken: AuditBreak | undefined;
  for (const w of [...witnessed].sort((a, b) => a.seq - b.seq)) {
    if (w.seq <= prunedUpTo) continue;
    compared += 1;
    if (broken) continue;
    const hash = stored.get(w.seq);
    if (hash === w.hash) continue;
    const at = { seq: w.seq, id: w.id };
    if (hash !== undefined) {
      broken = { ...at, reason: `entry ${w.seq} differs from its copy in ${source}: the chain was rewritten from this entry or an earlier one` };
    } else if (newestSeq === undefined || w.seq > newestSeq) {
      const held = newestSeq === undefined ? 'holds no entry' : `ends at entry ${newestSeq}`;
      broken = { ...at, reason: `entry ${w.seq} is in ${source} but the database ${held}: its newest entries were cut off` };
    } else {
      broken = { ...at, reason: `entry ${w.seq} is in ${source} but missing from the database: entries were removed` };
    }
  }
  return broken ? { compared, broken } : { compared };
}
