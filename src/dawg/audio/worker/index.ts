/**
 * The AI DAWG's audio worker threads. Named exports only: the pool and the types its methods
 * take and return. The worker entry (audio-worker.ts) and the task plumbing stay internal.
 */
export { AudioWorkerPool, type AudioWorkerPoolOptions } from './audio-worker-pool';
export type { AudioTaskResults, EncodedWav, MasterSource, MeasuredRender, MeasureRenderOptions } from './audio-tasks';
