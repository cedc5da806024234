export { ModuleRouter, type BreakerState, type CallOptions, type DawgProbe, type ModulesView } from './module-router';
export { filePageSchema, storedFileSchema, waveformSchema, type FilePageRecord, type StoredFileRecord, type WaveformRecord } from './file-schemas';
