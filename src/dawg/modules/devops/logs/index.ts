export { createQueryLogsAction, DEFAULT_MAX_SCAN_BYTES } from './query-logs.action';
export type { QueryLogsDeps, QueryLogsResult } from './query-logs.action';
export type { LogMatch, MatchTotals } from './match-collector';
export type { AnomalyReport, NewTemplate, Spike } from './anomalies';
export { SEVERITIES, SEVERITY_MAPPING, type Severity } from './log-record';
export { queryLogsParamsSchema, type QueryLogsParams } from './schema';
