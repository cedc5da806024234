import type { z } from 'zod';
import { analyticsDashboardParams, analyticsQueryParams, configureMonitoringParamsSchema, queryLogsParamsSchema } from '../../../dawg/action-schemas';
import { catalogCapability, type CatalogAgentName } from '../../agents';
import { churnScenarioBody, churnScenarioWorkflow } from '../../agents/scenarios/churn-scenario';
import { productionBody, productionWorkflow } from '../../agents/scenarios/production-scenario';
import type { WorkflowStepInput } from '../../agents/workflow-engine';
import { createScheduleBody, createWorkflowBody } from '../../http/agent-schemas';

/** The blueprint's action groups: /integrations/chatgpt/actions/<group>/<name>. */
export const ACTION_GROUPS = ['music', 'marketing', 'engagement', 'automation', 'testing', 'devops', 'analytics', 'creative'] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

interface ActionBase {
  group: ActionGroup;
  /** Last path segment. */
  name: string;
  operationId: string;
  /** ≤ 300 characters each (GPT Action limit, checked by the suite). */
  summary: string;
  description: string;
  /** x-openai-isConsequential: ChatGPT confirms every call (deploys, infrastructure, spending, anything scheduled). */
  consequential: boolean;
  /** The API-key scope the action needs beyond `integration`. */
  scope?: 'devops';
}

/**
 * How an action runs. Anything that can outlast ChatGPT's ~45 s request limit is a `job`: an
 * agent task (durable, retried, cancellable; 202 with a jobId to poll). A `call` is one DAWG
 * action bounded well below that limit (200 with the result).
 */
export type ChatGptAction = ActionBase &
  (
    | { kind: 'job'; agent: CatalogAgentName; taskType: string; body: z.ZodType }
    | { kind: 'call'; module: string; action: string; timeoutMs: number; body: z.ZodType }
    | { kind: 'workflow'; body: typeof createWorkflowBody }
    | { kind: 'schedule'; body: typeof createScheduleBody }
    | { kind: 'scenario'; body: z.ZodType; build: (body: never) => { name: string; steps: WorkflowStepInput[]; kind?: string } }
  );

/** How long a synchronous action may take before it answers 504: under ChatGPT's limit with room for the network. */
export const CALL_TIMEOUT_MS = 30_000;

function job(base: ActionBase, agent: CatalogAgentName, taskType: string): ChatGptAction {
  // The capability's own payload schema: what the route accepts is what the task accepts.
  return { ...base, kind: 'job', agent, taskType, body: catalogCapability(agent, taskType).payload };
}

function call(base: ActionBase, module: string, action: string, body: z.ZodType): ChatGptAction {
  return { ...base, kind: 'call', module, action, body, timeoutMs: CALL_TIMEOUT_MS };
}

const POLL = 'Answers 202 with a jobId; poll getJobStatus until status is completed or failed.';

/** Every ChatGPT Action, in document order. operationIds of the blueprint where it names them. */
export const CHATGPT_ACTIONS: readonly ChatGptAction[] = [
  // devops: the blueprint's §2.1.1
  job(
    { group: 'devops', name: 'deploy', operationId: 'deployService', consequential: true, scope: 'devops',
      summary: 'Deploy a service to development, staging or production',
      description: `Runs the target's deploy steps through the terminal firewall, checks health and rolls back on failure; production steps may wait for an admin's approval. ${POLL}` },
    'DevOpsEngineer', 'deploy-service'),
  job(
    { group: 'devops', name: 'infrastructure', operationId: 'manageInfrastructure', consequential: true, scope: 'devops',
      summary: 'Manage cloud infrastructure with Terraform, Pulumi or CloudFormation (plan, validate, apply, destroy, refresh)',
      description: `plan and validate run at once; apply and destroy are always held for an admin's approval (the result names the approval id), and so is refresh except CloudFormation's (drift detection). ${POLL}` },
    'DevOpsEngineer', 'manage-infrastructure'),
  call(
    { group: 'devops', name: 'logs', operationId: 'queryLogs', consequential: false, scope: 'devops',
      summary: 'Search the control plane and AI DAWG logs and the audit log',
      description: 'RE2 regular expression over JSON log lines in a time range, filtered by service and severity; optional anomaly detection (error spikes, new message templates). Answers within 30 s.' },
    'devops', 'query-logs', queryLogsParamsSchema),
  call(
    { group: 'devops', name: 'monitoring', operationId: 'configureMonitoring', consequential: true, scope: 'devops',
      summary: 'Create, list, evaluate or delete alert rules and SLOs',
      description: 'Alert rules and SLOs over the control plane metrics, evaluated on request. Answers within 30 s.' },
    'devops', 'configure-monitoring', configureMonitoringParamsSchema),
  job(
    { group: 'devops', name: 'scale', operationId: 'scaleInfrastructure', consequential: true, scope: 'devops',
      summary: 'Scale a service between minimum and maximum replicas',
      description: `Through the devops module and the terminal firewall. ${POLL}` },
    'DevOpsEngineer', 'scale-infrastructure'),
  job(
    { group: 'devops', name: 'incident', operationId: 'troubleshootIncident', consequential: false, scope: 'devops',
      summary: 'Diagnose a production incident from logs, anomalies and system checks',
      description: `Reads logs and runs the testing module's checks; changes nothing. ${POLL}` },
    'DevOpsEngineer', 'troubleshoot-incident'),
  job(
    { group: 'devops', name: 'costs', operationId: 'optimizeCosts', consequential: false, scope: 'devops',
      summary: 'Analyse cloud costs and name the largest and fastest-growing items',
      description: `Reads the cloud cost report; changes nothing. ${POLL}` },
    'DevOpsEngineer', 'optimize-costs'),

  // analytics: §2.1.2
  call(
    { group: 'analytics', name: 'query', operationId: 'executeDataQuery', consequential: false,
      summary: 'Run one read-only SQL query on a configured data source',
      description: 'SELECT/WITH only; anything that writes is refused. Rows are capped by maxRows. Answers within 30 s.' },
    'analytics', 'query', analyticsQueryParams),
  job(
    { group: 'analytics', name: 'ml-model', operationId: 'trainPredictiveModel', consequential: false,
      summary: 'Train a time-series forecasting model on a dataset',
      description: `The DataScientist builds and evaluates the model and reports its forecast with intervals. ${POLL}` },
    'DataScientist', 'build-forecast-model'),
  call(
    { group: 'analytics', name: 'dashboard', operationId: 'generateDashboard', consequential: false,
      summary: 'Render a dashboard of charts from rows or a read-only query',
      description: 'Stores the rendered dashboard and answers its URL. Answers within 30 s.' },
    'analytics', 'dashboard', analyticsDashboardParams),
  {
    group: 'analytics', name: 'churn', operationId: 'analyzeChurn', consequential: true, kind: 'scenario', body: churnScenarioBody, build: churnScenarioWorkflow,
    summary: 'Analyse churn, predict next month’s churn rate and launch a re-engagement campaign',
    description: 'DataScientist finds at-risk users, weighs churn factors and forecasts the rate; MarketingStrategist builds cohorts and schedules e-mails (to the outbox) and a daily prevention workflow. Answers 202 with a jobId.',
  },
  job(
    { group: 'analytics', name: 'dataset-analysis', operationId: 'analyzeDataset', consequential: false,
      summary: 'Exploratory analysis of a dataset: types, missing values, distributions, correlations',
      description: POLL },
    'DataScientist', 'analyze-dataset'),
  job(
    { group: 'analytics', name: 'anomalies', operationId: 'detectAnomalies', consequential: false,
      summary: 'Find anomalies in a metric of a dataset',
      description: POLL },
    'DataScientist', 'detect-anomalies'),

  // creative: §2.1.3
  {
    group: 'creative', name: 'produce', operationId: 'produceTrack', consequential: true, kind: 'scenario', body: productionBody, build: productionWorkflow,
    summary: 'Produce a track end to end: concept, generation, mix, master, quality review, publish to the music catalog',
    description: 'One workflow of CreativeDirector, MixingEngineer, QualityAssurance and DevOpsEngineer. Answers 202 with a jobId; getJobStatus shows each step live and, at the end, the track (trackId, url, streamUrl, and listenUrl: a link the user can open in a browser for an hour), timeline and measured loudness.',
  },
  job(
    { group: 'creative', name: 'audio-generation', operationId: 'generateAudioWithSuno', consequential: true,
      summary: 'Generate a song from a prompt (Suno or Udio when configured, else the offline composer)',
      description: `Stores a 24-bit WAV and reports its measured loudness. Suno and Udio generations cost money. ${POLL}` },
    'CreativeDirector', 'generate-audio'),
  job(
    { group: 'creative', name: 'mixing', operationId: 'mixAudioTracks', consequential: false,
      summary: 'Mix uploaded stems into one track',
      description: `Level balance, EQ, compression, stereo width and reverb, export, and optionally a streaming master. ${POLL}` },
    'MixingEngineer', 'mix-tracks'),
  job(
    { group: 'creative', name: 'mastering', operationId: 'masterAudio', consequential: false,
      summary: 'Master a track for Spotify, YouTube, Apple Music or a custom loudness',
      description: `Matches the platform's integrated loudness (LUFS) under a true-peak ceiling and reports the measured figures. ${POLL}` },
    'MixingEngineer', 'master-track'),
  job(
    { group: 'creative', name: 'song-concept', operationId: 'generateSongConcept', consequential: false,
      summary: 'Write a song concept: title, genre, tempo, key, mood, structure, theme',
      description: POLL },
    'CreativeDirector', 'generate-song-concept'),

  // music (v1): the MixingEngineer on AI DAWG projects
  job(
    { group: 'music', name: 'full-mix', operationId: 'mixProject', consequential: false,
      summary: 'Mix an AI DAWG project: balance, EQ, compression, spatial processing, export',
      description: POLL },
    'MixingEngineer', 'full-mix'),
  job(
    { group: 'music', name: 'balance', operationId: 'balanceProjectLevels', consequential: false,
      summary: 'Balance the levels of every track of an AI DAWG project to a loudness target',
      description: POLL },
    'MixingEngineer', 'balance-mix'),

  // marketing, engagement (v1)
  job(
    { group: 'marketing', name: 'campaign', operationId: 'optimizeCampaign', consequential: true,
      summary: 'Optimise a marketing campaign from its measured results',
      description: `May change the campaign's budget split. ${POLL}` },
    'MarketingStrategist', 'campaign-optimization'),
  job(
    { group: 'marketing', name: 'audience', operationId: 'targetAudience', consequential: false,
      summary: 'Build targeted audience segments for a goal',
      description: POLL },
    'MarketingStrategist', 'audience-targeting'),
  job(
    { group: 'marketing', name: 'content-strategy', operationId: 'planContentStrategy', consequential: false,
      summary: 'Plan a content calendar and strategy for channels and a goal',
      description: POLL },
    'MarketingStrategist', 'content-strategy'),
  job(
    { group: 'engagement', name: 'segments', operationId: 'segmentUsers', consequential: false,
      summary: 'Segment users by their activity and engagement features',
      description: POLL },
    'DataScientist', 'segment-users'),

  // automation (v1): the control plane's own workflows and schedules
  {
    group: 'automation', name: 'workflow', operationId: 'runWorkflow', consequential: true, kind: 'workflow', body: createWorkflowBody,
    summary: 'Run a workflow: agent tasks with dependencies, each step fed by earlier results',
    description: 'Steps that act through the devops module need the devops scope. Answers 202 with a jobId; getJobStatus shows every step.',
  },
  {
    group: 'automation', name: 'schedule', operationId: 'scheduleTask', consequential: true, kind: 'schedule', body: createScheduleBody,
    summary: 'Schedule an agent task on a cron expression in a time zone (e.g. daily at 09:00)',
    description: 'Answers 201 with the schedule; each slot queues one task.',
  },

  // testing (v1): the QualityAssurance agent over the testing module
  job(
    { group: 'testing', name: 'health', operationId: 'checkSystemHealth', consequential: false,
      summary: 'Check the health of the control plane, the AI DAWG and their dependencies',
      description: POLL },
    'QualityAssurance', 'system-health-check'),
  job(
    { group: 'testing', name: 'validate', operationId: 'validateSystem', consequential: false,
      summary: 'Run the system validation checks (storage, disk, audio engine, …)',
      description: POLL },
    'QualityAssurance', 'validate-system'),
  job(
    { group: 'testing', name: 'audio-quality', operationId: 'checkAudioQuality', consequential: false,
      summary: 'Measure an audio file against loudness, true-peak and clipping targets',
      description: POLL },
    'QualityAssurance', 'audio-quality-check'),
];

export const actionPath = (a: Pick<ChatGptAction, 'group' | 'name'>) => `/integrations/chatgpt/actions/${a.group}/${a.name}`;
