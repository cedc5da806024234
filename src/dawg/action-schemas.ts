/**
 * The parameter schemas of the DAWG actions that the control plane also validates with: agent
 * capabilities that forward to them and the ChatGPT actions (whose OpenAPI document is generated
 * from them). One zod schema per action, so a request the control plane accepts is one the DAWG
 * accepts. Importing this file runs nothing and loads no action handler.
 */
export { generateAudioParams, masterTrackParams, mixTracksParams } from './modules/creative/creative-schemas';
export { songConceptParams, songConceptSchema } from './modules/creative/song-concept';
export { manageInfrastructureParams } from './modules/devops/infrastructure.schema';
export { queryLogsParamsSchema } from './modules/devops/logs/schema';
export { configureMonitoringParamsSchema } from './modules/devops/monitoring/schema';
export { analyticsDashboardParams, analyticsQueryParams, datasetName } from './modules/analytics/analytics-schemas';
export { workflowName } from './modules/automation/automation-schemas';
