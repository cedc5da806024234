/** What a caller hands to the audit log. */
export interface AuditEntryInput {
  /**
   * Dotted, lowercase: command.denied, command.finished, approval.requested, approval.decided,
   * approval.expired, auth.failure, api.request, task.event, infra.change, firewall.policy-reloaded.
   */
  type: string;
  /** Who acted: an API key id, an agent name, 'system'. */
  actor?: string;
  /** What it acted on: a command name, a route, a task id. */
  subject?: string;
  /** How it ended: allowed, denied, 200, exit code... */
  outcome?: string;
  /**
   * JSON details. Callers never put secrets here; keys named like token/secret/password/
   * authorization/apiKey are replaced by "[redacted]" all the same.
   */
  details?: Record<string, unknown>;
}

/** One stored entry: its content, its place in the chain and the chain's hash up to it. */
export interface AuditEntry {
  id: string;
  /** Gap-free position in the chain, from 1. */
  seq: number;
  /** ISO 8601 with milliseconds. */
  createdAt: string;
  type: string;
  actor: string | null;
  subject: string | null;
  outcome: string | null;
  details: Record<string, unknown>;
  /** Hash of the entry before (or of the checkpoint, or 64 zeros for the first entry ever). */
  prevHash: string;
  /** sha256(prevHash || canonical JSON of the content fields), hex. */
  hash: string;
}

export interface AuditFilter {
  /** Exact type, or a prefix ending in ".*" (command.* matches command.denied and command.finished). */
  type?: string;
  actor?: string;
  subject?: string;
  /** Inclusive lower bound on createdAt. */
  from?: Date;
  /** Exclusive upper bound on createdAt. */
  to?: Date;
  /** Newest first, at most this many (1-500). */
  limit: number;
  /** Cursor: only entries with a seq below this (the previous page's nextBefore). */
  before?: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null when this page was the last. */
  nextBefore: number | null;
}

/** Where the retained chain starts after a prune: the seq and hash of the last entry deleted. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** Entries that prune deleted. */
  pruned: number;
  createdAt: string;
}

export interface AuditBreak {
  /** The first entry that fails, or for an unattested checkpoint its seq. */
  seq: number;
  id: string | null;
  reason: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries that verified intact (all of them when ok). */
  checked: number;
  firstBroken?: AuditBreak;
  /** The checkpoint the chain was verified from, when older entries were pruned. */
  checkpoint?: AuditCheckpoint;
  /** With Redis: the newest entries of its mirror, compared with the database once the chain verified. */
  mirror?: AuditMirrorCheck;
  /** With AUDIT_WITNESS_FILE: the newest heads it holds, compared the same way (malformed: lines that are not one). */
  witness?: AuditMirrorCheck & { file: string };
}

export interface AuditMirrorCheck {
  /** Mirrored entries compared with the database (not those pruned since); the first that differs is firstBroken. */
  compared: number;
  /** Stream messages without a well-formed seq and hash: not written by this log. */
  malformed?: number;
  /** Why the mirror could not be read; the chain's verdict stands alone then. */
  unavailable?: string;
}

export interface AuditPruneResult {
  pruned: number;
  /** The checkpoint written by this prune; null when nothing was old enough. */
  checkpoint: AuditCheckpoint | null;
}

/** Counters of the fire-and-forget path, for health and tests. */
export interface AuditStats {
  /** Records accepted and not yet written (or failed). */
  buffered: number;
  /** Records refused because the buffer was full (since start). */
  dropped: number;
  /** Records whose write failed (since start). */
  failed: number;
}
