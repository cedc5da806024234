import type { AuditEntryView } from '../../../control-plane/types';

export const SEVERITIES = ['debug', 'info', 'warn', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a record was read: a line of a log file, or an entry of the control plane's audit log. */
export type LogSource = { kind: 'file'; file: string; line: number } | { kind: 'audit'; id: string; seq: number };

/** One log entry from either source, in the shape the query filters and reports. */
export interface LogRecord {
  timeMs: number;
  service: string;
  /** The level as written (winston's level for files; derived from the outcome for audit entries). */
  level: string;
  severity: Severity;
  message: string;
  /** Everything else in the entry (for files: without timestamp, level, service and message). */
  fields: Record<string, unknown>;
  source: LogSource;
}

/**
 * How levels become severities, returned with every result so a reader need not guess.
 *
 * Files (winston, plus syslog names in case another writer shares the directory):
 * - `error` → error, or critical when the entry carries `critical: true` or `fatal: true`;
 *   `crit`/`alert`/`emerg` → critical;
 * - `warn`/`warning` → warn; `info`/`http`/`notice` → info; `debug`/`verbose`/`silly` → debug;
 * - no level or an unknown one → info.
 *
 * Audit entries (service `audit`): the firewall refusing a command or a key is the control
 * working as designed, so it is a warning, not an outage. Critical is kept for the one thing
 * that needs a human now: the audit trail itself losing records.
 */
export const SEVERITY_MAPPING: Readonly<Record<string, string>> = Object.freeze({
  'file error': 'error; critical when the entry has critical: true or fatal: true',
  'file crit | alert | emerg': 'critical',
  'file warn | warning': 'warn',
  'file info | http | notice': 'info',
  'file debug | verbose | silly': 'debug',
  'file without a (known) level': 'info',
  'audit audit.dropped': 'critical (level error): records were lost from the audit trail',
  'audit outcome failed | error | timed-out, or api.request with a 5xx status': 'error',
  'audit command.denied | auth.failure | approval.expired | approval.withdrawn, outcome denied | expired | aborted | rejected, or api.request with a 4xx status': 'warn',
  'audit anything else': 'info',
});

const FILE_LEVELS: Readonly<Record<string, Severity>> = {
  error: 'error',
  crit: 'critical',
  alert: 'critical',
  emerg: 'critical',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  http: 'info',
  notice: 'info',
  debug: 'debug',
  verbose: 'debug',
  silly: 'debug',
};

export function fileSeverity(level: string, entry: Readonly<Record<string, unknown>>): Severity {
  const severity = Object.hasOwn(FILE_LEVELS, level) ? FILE_LEVELS[level]! : 'info';
  if (severity === 'error' && (entry.critical === true || entry.fatal === true)) return 'critical';
  return severity;
}

const FAILED_OUTCOMES = new Set(['failed', 'error', 'timed-out']);
const REFUSED_OUTCOMES = new Set(['denied', 'expired', 'aborted', 'rejected']);
const REFUSAL_TYPES = new Set(['command.denied', 'auth.failure', 'approval.expired', 'approval.withdrawn']);

export function auditSeverity(entry: Pick<AuditEntryView, 'type' | 'outcome'>): { level: 'error' | 'warn' | 'info'; severity: Severity } {
  const outcome = entry.outcome ?? '';
  const httpStatus = entry.type === 'api.request' && /^[1-5]\d\d$/.test(outcome) ? Number(outcome) : 0;
  if (entry.type === 'audit.dropped') return { level: 'error', severity: 'critical' };
  if (FAILED_OUTCOMES.has(outcome) || httpStatus >= 500) return { level: 'error', severity: 'error' };
  if (REFUSAL_TYPES.has(entry.type) || REFUSED_OUTCOMES.has(outcome) || httpStatus >= 400) return { level: 'warn', severity: 'warn' };
  return { level: 'info', severity: 'info' };
}

/** An audit entry as a log record of service `audit`. */
export function auditRecord(entry: AuditEntryView, timeMs: number): LogRecord {
  const { level, severity } = auditSeverity(entry);
  const message = [entry.type, entry.outcome, entry.subject].filter((part) => part !== null && part !== '').join(' ');
  return {
    timeMs,
    service: 'audit',
    level,
    severity,
    message,
    fields: { type: entry.type, actor: entry.actor, subject: entry.subject, outcome: entry.outcome, details: entry.details },
    source: { kind: 'audit', id: entry.id, seq: entry.seq },
  };
}
