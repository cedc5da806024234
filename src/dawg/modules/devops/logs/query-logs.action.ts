import type { ControlPlaneClient } from '../../../control-plane/types';
import { defineAction, type ActionContext } from '../../../sdk';
import { AnomalyDetector, type AnomalyReport } from './anomalies';
import { DEFAULT_MAX_AUDIT_PAGES, scanAudit, type AuditScanStats } from './audit-source';
import { scanLogFiles, type FileScanStats } from './file-source';
import { SEVERITY_MAPPING } from './log-record';
import { MatchCollector, type LogMatch, type MatchTotals } from './match-collector';
import { compileSafeRegex } from '../safe-regex';
import { queryLogsParamsSchema, resolveWindow, type QueryLogsParams } from './schema';

/** Default byte budget of one query's file scan. */
export const DEFAULT_MAX_SCAN_BYTES = 64 << 20;

export interface QueryLogsDeps {
  /** The directory both processes write their JSON log files to; undefined when file logging is off. */
  logDir: string | undefined;
  controlPlane: Pick<ControlPlaneClient, 'audit'>;
  maxScanBytes?: number;
  maxAuditPages?: number;
  /** Clock for the default range (the last hour). */
  now?: () => number;
}

type SourceFailure = { code: string; message: string };

/** What `query-logs` returns. */
export interface QueryLogsResult {
  query: string;
  timeRange: { start: string; end: string };
  /** The newest `limit` matches, newest first. */
  matches: LogMatch[];
  totals: MatchTotals;
  scanned: {
    files: number;
    filesSkippedAsOlder: number;
    filesVanished: number;
    lines: number;
    bytes: number;
    maxBytes: number;
    skippedNonJson: number;
    skippedNoTimestamp: number;
    skippedOversized: number;
    auditPages: number;
    auditEntries: number;
  };
  sources: {
    files: { status: 'ok' | 'missing' | 'disabled' | 'not-requested' | 'failed'; error?: SourceFailure };
    audit: { status: 'ok' | 'not-requested' | 'failed'; error?: SourceFailure };
  };
  /** True when the matches are not all there is: more than `limit` matched, or a budget stopped a scan. */
  truncated: boolean;
  truncatedBy: Array<'limit' | 'scan-bytes' | 'audit-pages'>;
  severityMapping: Readonly<Record<string, string>>;
  /** Only when detectAnomalies was asked for. */
  anomalies?: AnomalyReport;
}

const EMPTY_FILE_STATS: FileScanStats = {
  status: 'ok', files: 0, filesSkippedAsOlder: 0, filesVanished: 0, lines: 0, bytes: 0,
  skippedNonJson: 0, skippedNoTimestamp: 0, skippedOversized: 0, truncated: false,
};
const EMPTY_AUDIT_STATS: AuditScanStats = { status: 'ok', pages: 0, entries: 0, truncated: false };

function failureOf(err: unknown): SourceFailure {
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'LOG_SOURCE_FAILED', message: err instanceof Error ? err.message : String(err) };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`query-logs: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Searches the project's own JSON log files and the control plane's audit log with an RE2
 * regular expression, within a time range and a byte budget, optionally with anomaly
 * statistics. Without a log directory only the audit log is searched (files: `disabled`).
 */
export function createQueryLogsAction(deps: QueryLogsDeps) {
  const maxScanBytes = positiveInteger('maxScanBytes', deps.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES);
  const maxAuditPages = positiveInteger('maxAuditPages', deps.maxAuditPages ?? DEFAULT_MAX_AUDIT_PAGES);
  const now = deps.now ?? Date.now;
  return defineAction({
    description:
      'Searches the JSON log files of the control plane and the DAWG and the control plane’s audit log (service "audit") with an RE2 regular expression, ' +
      'filtered by time range (default: the last hour), services and severity; optionally flags error spikes and new message templates',
    params: queryLogsParamsSchema,
    handler: (params, ctx) => queryLogs(params, ctx, { ...deps, maxScanBytes, maxAuditPages, now }),
  });
}

type ResolvedDeps = QueryLogsDeps & Required<Pick<QueryLogsDeps, 'maxScanBytes' | 'maxAuditPages' | 'now'>>;
type FilesSource = QueryLogsResult['sources']['files'];
type AuditSource = QueryLogsResult['sources']['audit'];

interface ScanPlan {
  /** From where records are read: the window's start, or the baseline's with anomaly detection. */
  fromMs: number;
  toMs: number;
  /** Services whose files to read (undefined: all); empty when only the audit was asked for. */
  fileServices?: ReadonlySet<string>;
  wantAudit: boolean;
  onRecord: MatchCollector['offer'];
}

async function readFiles(plan: ScanPlan, deps: ResolvedDeps, ctx: ActionContext): Promise<{ stats: FileScanStats; source: FilesSource }> {
  if (plan.fileServices?.size === 0) return { stats: EMPTY_FILE_STATS, source: { status: 'not-requested' } };
  if (deps.logDir === undefined) return { stats: EMPTY_FILE_STATS, source: { status: 'disabled' } };
  try {
    const stats = await scanLogFiles({ dir: deps.logDir, services: plan.fileServices, sinceMs: plan.fromMs, maxBytes: deps.maxScanBytes, signal: ctx.signal, onRecord: plan.onRecord });
    return { stats, source: { status: stats.status } };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const error = failureOf(err);
    ctx.logger.warn('query-logs could not read the log files', { error });
    return { stats: EMPTY_FILE_STATS, source: { status: 'failed', error } };
  }
}

async function readAudit(plan: ScanPlan, deps: ResolvedDeps, ctx: ActionContext): Promise<{ stats: AuditScanStats; source: AuditSource }> {
  if (!plan.wantAudit) return { stats: EMPTY_AUDIT_STATS, source: { status: 'not-requested' } };
  const stats = await scanAudit({
    controlPlane: deps.controlPlane, fromMs: plan.fromMs, toMs: plan.toMs, maxPages: deps.maxAuditPages,
    requestId: ctx.requestId, signal: ctx.signal, onRecord: plan.onRecord,
  });
  if (!stats.error) return { stats, source: { status: stats.status } };
  ctx.logger.warn('query-logs could not read the audit log', { error: stats.error });
  return { stats, source: { status: stats.status, error: stats.error } };
}

async function queryLogs(params: QueryLogsParams, ctx: ActionContext, deps: ResolvedDeps): Promise<QueryLogsResult> {
  const regex = compileSafeRegex(params.query);
  const window = resolveWindow(params, deps.now());
  const baseline = { startMs: window.startMs - (window.endMs - window.startMs), endMs: window.startMs };
  const detector = params.detectAnomalies ? new AnomalyDetector(window, baseline) : undefined;
  const services = params.services ? new Set(params.services) : undefined;
  const collector = new MatchCollector({
    window,
    services,
    severities: params.severity ? new Set(params.severity) : undefined,
    regex,
    limit: params.limit,
    anomalies: detector && { detector, baseline },
  });
  const plan: ScanPlan = {
    fromMs: detector ? baseline.startMs : window.startMs,
    toMs: window.endMs,
    fileServices: services && new Set([...services].filter((s) => s !== 'audit')),
    wantAudit: !services || services.has('audit'),
    onRecord: collector.offer.bind(collector),
  };
  // Both sources feed the one collector; its result does not depend on which answers first.
  const [files, audit] = await Promise.all([readFiles(plan, deps, ctx), readAudit(plan, deps, ctx)]);
  ctx.signal.throwIfAborted();

  const totals = collector.totals();
  const matches = collector.matches();
  const truncatedBy: QueryLogsResult['truncatedBy'] = [];
  if (totals.matches > matches.length) truncatedBy.push('limit');
  if (files.stats.truncated) truncatedBy.push('scan-bytes');
  if (audit.stats.truncated) truncatedBy.push('audit-pages');
  const complete = !files.stats.truncated && !audit.stats.truncated && files.source.status !== 'failed' && audit.source.status !== 'failed';
  return {
    query: params.query,
    timeRange: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString() },
    matches,
    totals,
    scanned: scannedCounts(files.stats, audit.stats, deps.maxScanBytes),
    sources: { files: files.source, audit: audit.source },
    truncated: truncatedBy.length > 0,
    truncatedBy,
    severityMapping: SEVERITY_MAPPING,
    ...(detector && { anomalies: detector.report(complete) }),
  };
}

function scannedCounts(files: FileScanStats, audit: AuditScanStats, maxBytes: number): QueryLogsResult['scanned'] {
  return {
    files: files.files, filesSkippedAsOlder: files.filesSkippedAsOlder, filesVanished: files.filesVanished,
    lines: files.lines, bytes: files.bytes, maxBytes,
    skippedNonJson: files.skippedNonJson, skippedNoTimestamp: files.skippedNoTimestamp, skippedOversized: files.skippedOversized,
    auditPages: audit.pages, auditEntries: audit.entries,
  };
}
