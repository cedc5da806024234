export { createDevopsModule, type DevopsModuleDeps } from './devops.module';
export { DeploymentStore } from './deploy/deployment-store';
export { loadTargetsFile, type DeployTarget } from './deploy/targets';
