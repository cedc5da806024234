export { createMlModelAction } from './ml-model.action';
export { MlTrainer } from './ml-trainer';
export { mlModelParams, type MlModelParams } from './ml-model.schema';
export { MlModelStore, type StoredModel, type ModelKind } from './model-store';
export { Prng } from './prng';
export { sigmoid } from './logistic';
