export { AuditLog, type AuditLogOptions } from './audit-log';
export { AuditRetentionJob, type AuditRetentionOptions } from './audit-retention';
export { MIRROR_RETENTION_MS } from './audit-mirror';
export { GENESIS_HASH } from './audit-chain';
export { TYPE_PATTERN as AUDIT_TYPE_PATTERN } from './audit-sanitize';
export type {
  AuditBreak,
  AuditCheckpoint,
  AuditEntry,
  AuditEntryInput,
  AuditFilter,
  AuditMirrorCheck,
  AuditPage,
  AuditPruneResult,
  AuditStats,
  AuditVerifyResult,
} from './audit-types';
export { AuditWitnessFile, WITNESS_INTERVAL_MS } from './audit-witness-file';
