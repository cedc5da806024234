import type { WorkflowSummary } from '../workflow-engine';
import { productionSummary } from './production-scenario';

/** Workflow kinds whose result is a summary built when they end (WorkflowEngine `kind`). */
export const WORKFLOW_SUMMARIES: Readonly<Record<string, WorkflowSummary>> = { production: productionSummary };
