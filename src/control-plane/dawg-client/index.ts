export { ModuleRouter, type BreakerState, type CallOptions, type DawgProbe, type ModulesView } from './module-router';
