export { LONG_ACTION_MS, ModuleRegistry, defineAction, defineModule } from './module-sdk';
export type { ActionContext, ActionDefinition, ModuleDefinition } from './module-sdk';
