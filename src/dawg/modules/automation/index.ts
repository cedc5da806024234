export { createAutomationModule, type AutomationModuleDeps } from './automation.module';
export { createWorkflowParams, runWorkflowParams } from './automation-schemas';
