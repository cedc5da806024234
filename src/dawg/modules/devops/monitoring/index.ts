export {
  createConfigureMonitoringAction,
  type AlertView,
  type ConfigureMonitoringDeps,
  type ConfigureMonitoringResult,
  type SloView,
} from './configure-monitoring.action';
export type { AlertEvaluation, SloEvaluation } from './evaluate';
export { MONITORING_FILE } from './monitoring-store';
export { parsePromText, PromTextError, type PromSample, type PromText } from './prom-text';
export { configureMonitoringParamsSchema, MAX_RULES, type ConfigureMonitoringParams } from './schema';
