export { createEngagementModule, type EngagementModuleDeps } from './engagement.module';
export { SCORE_WEIGHTS, TIER_BOUNDS } from './score-users.action';
export { cohortsParams, scoreUsersParams, trackParams } from './engagement-schemas';
