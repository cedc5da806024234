import { z } from 'zod';
import { envPort, logLevel, parseEnv, serviceToken } from '../common/env';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel,
  AI_DAWG_HOST: z.string().min(1).default('127.0.0.1'),
  AI_DAWG_PORT: envPort(3001),
  AI_DAWG_SERVICE_TOKEN: serviceToken,
  AI_DAWG_DATA_DIR: z.string().min(1).default('./data/dawg'),
  AI_DAWG_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('5mb'),
  AI_DAWG_UPLOAD_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 200mb').default('200mb'),
});

export interface DawgConfig {
  env: z.output<typeof schema>['NODE_ENV'];
  logLevel: z.output<typeof schema>['LOG_LEVEL'];
  host: string;
  port: number;
  serviceToken: string;
  dataDir: string;
  bodyLimit: string;
  uploadLimit: string;
}

export function loadDawgConfig(source: NodeJS.ProcessEnv): Readonly<DawgConfig> {
  const e = parseEnv(schema, source);
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.AI_DAWG_HOST,
    port: e.AI_DAWG_PORT,
    serviceToken: e.AI_DAWG_SERVICE_TOKEN,
    dataDir: e.AI_DAWG_DATA_DIR,
    bodyLimit: e.AI_DAWG_BODY_LIMIT,
    uploadLimit: e.AI_DAWG_UPLOAD_LIMIT,
  });
}
