export { createTestingModule, type TestingModuleDeps } from './testing.module';
