import { AppError } from '../../../../common/errors';
import type { ControlPlaneClient } from '../../../control-plane/types';
import { auditRecord, type LogRecord } from './log-record';

/** The control plane's page size cap. */
export const AUDIT_PAGE_SIZE = 500;
export const DEFAULT_MAX_AUDIT_PAGES = 20;

export interface AuditScanOptions {
  controlPlane: Pick<ControlPlaneClient, 'audit'>;
  fromMs: number;
  toMs: number;
  maxPages: number;
  requestId: string;
  signal: AbortSignal;
  onRecord(record: LogRecord): void;
}

export interface AuditScanStats {
  /** `failed`: the control plane could not be read; the rest of the result still stands. */
  status: 'ok' | 'failed';
  error?: { code: string; message: string };
  pages: number;
  entries: number;
  /** The page budget ran out before the start of the range was reached. */
  truncated: boolean;
}

/**
 * Pages through the control plane's audit log, newest first, from the end of the range back to
 * its start, turning each entry into a record of service `audit`. Bounded by `maxPages`; a
 * cursor that does not move ends the walk rather than looping on the same page.
 */
export async function scanAudit(options: AuditScanOptions): Promise<AuditScanStats> {
  const stats: AuditScanStats = { status: 'ok', pages: 0, entries: 0, truncated: false };
  const filter = { from: new Date(options.fromMs).toISOString(), to: new Date(options.toMs).toISOString(), limit: AUDIT_PAGE_SIZE };
  let before: number | undefined;
  try {
    for (;;) {
      options.signal.throwIfAborted();
      if (stats.pages >= options.maxPages) {
        stats.truncated = true;
        break;
      }
      const page = await options.controlPlane.audit(before === undefined ? filter : { ...filter, before }, { requestId: options.requestId, signal: options.signal });
      stats.pages++;
      let reachedStart = false;
      for (const entry of page.entries) {
        stats.entries++;
        const timeMs = Date.parse(entry.createdAt);
        // The control plane filters by from/to already; checking again costs nothing and keeps a lax server honest.
        if (timeMs < options.fromMs) reachedStart = true;
        else if (timeMs <= options.toMs) options.onRecord(auditRecord(entry, timeMs));
      }
      if (reachedStart || page.nextBefore === null || page.entries.length === 0) break;
      if (before !== undefined && page.nextBefore >= before) break;
      before = page.nextBefore;
    }
  } catch (err) {
    if (options.signal.aborted) throw err;
    const code = err instanceof AppError ? err.code : 'AUDIT_UNAVAILABLE';
    return { ...stats, status: 'failed', error: { code, message: err instanceof Error ? err.message : String(err) } };
  }
  return stats;
}
