export { MASTER_TARGETS, masterAudio, masterTargetSchema, resolveTarget, type MasterResult, type MasterTargetInput } from './master-chain';
