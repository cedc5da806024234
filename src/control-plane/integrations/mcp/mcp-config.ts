import { z } from 'zod';
import { envInt, envOptional, logLevel, parseEnv } from '../../../common/env';

/**
 * An API key as the control plane accepts it (`jrv_<id>_<secret>`, or the integration token):
 * anything a header can carry. The checks name the variable, never its value.
 */
const apiKey = z
  .string({ message: 'is required: an API key of the control plane (npm run jarvis -- keys create)' })
  .trim()
  .min(16, 'must be an API key of the control plane (at least 16 characters)')
  .max(512, 'is too long to be an API key')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (copy the key exactly)');

export const DEFAULT_JARVIS_URL = 'http://127.0.0.1:4000';

const schema = z.object({
  JARVIS_URL: envOptional(
    z.url({ message: 'must be the control plane\'s base URL, such as http://127.0.0.1:4000' }).refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL'),
  ).transform((u) => (u ?? DEFAULT_JARVIS_URL).replace(/\/+$/, '')),
  JARVIS_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), apiKey),
  /** Bound of every ordinary call (lists, reads, queueing). */
  JARVIS_TIMEOUT_MS: envInt(15_000, 100, 600_000),
  /** Bound of calls that do work while the caller waits: chat, module actions, commands. */
  JARVIS_LONG_TIMEOUT_MS: envInt(120_000, 1_000, 3_600_000),
  LOG_LEVEL: logLevel,
});

/** The MCP server's settings, parsed once from the environment and frozen. */
export interface McpConfig {
  readonly url: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly longTimeoutMs: number;
  readonly logLevel: z.output<typeof logLevel>;
}

/**
 * Reads the MCP entry's configuration. Throws ConfigError naming each bad variable (never its
 * value: JARVIS_API_KEY is a secret). Empty values count as unset, as in most .env files.
 */
export function loadMcpConfig(env: NodeJS.ProcessEnv): McpConfig {
  const e = parseEnv(schema, env);
  return Object.freeze({ url: e.JARVIS_URL, apiKey: e.JARVIS_API_KEY, timeoutMs: e.JARVIS_TIMEOUT_MS, longTimeoutMs: e.JARVIS_LONG_TIMEOUT_MS, logLevel: e.LOG_LEVEL });
}
