export { createCreativeModule, type CreativeModuleDeps } from './creative.module';
