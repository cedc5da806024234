export { createMlModelAction } from './ml-model.action';
export { mlModelParams, type MlModelParams } from './ml-model.schema';
export { MlModelStore, type StoredModel, type ModelKind } from './model-store';
export { Prng } from './prng';
export { sigmoid } from './logistic';
