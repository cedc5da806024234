import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Each file starts its own servers/databases; two workers match the 2-core machines.
  maxWorkers: 2,
  // A worker keeps growing with every file it runs (vm contexts leak: nodejs/node#33439): past
  // 1.6 GB by the end of the suite, too big to exit within jest's 500 ms ("A worker process has
  // failed to exit gracefully"). Jest starts a fresh worker after a file that leaves more than this.
  workerIdleMemoryLimit: '512MB',
  testTimeout: 30_000,
  verbose: false,
};

export default config;
