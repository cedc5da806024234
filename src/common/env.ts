import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { wholeNumberFromText } from './validation';

/** Env booleans: exactly true/false/1/0, so a typo ("ture") stops start-up instead of silently meaning false. */
export const envBool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

export const envInt = (fallback: number, min: number, max: number) =>
  wholeNumberFromText()
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

export const envPort = (fallback: number) => envInt(fallback, 0, 65_535);

/** Optional string where an empty value (KEY=) means unset, as in most .env files. */
export const envOptional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const serviceToken = z.string().min(32, 'must be at least 32 characters');

export const logLevel = z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info');

/**
 * Parses the environment against a schema. On failure the message names every offending
 * variable (never its value: it may be a secret).
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return Object.freeze(result.data) as z.output<S>;
  throw new ConfigError(`Invalid configuration:\n${issueLines(result.error.issues, '(environment)')}`);
}

/** One `  - field: message` line per issue: how start-up reports bad configuration. */
export function issueLines(issues: readonly z.core.$ZodIssue[], rootName = '(root)'): string {
  return issues.map((issue) => `  - ${issue.path.join('.') || rootName}: ${issue.message}`).join('\n');
}

/**
 * Validates a configuration document against a schema; the message starts with `heading`
 * and names every offending field. `fail` builds the error (ConfigError by default).
 */
export function parseConfigDocument<S extends z.ZodType>(schema: S, raw: unknown, heading: string, fail: (message: string) => Error = (m) => new ConfigError(m)): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw fail(`${heading} is invalid:\n${issueLines(parsed.error.issues)}`);
  return parsed.data;
}

/** Reads a JSON configuration file (a catalog, a policy) and validates it like parseConfigDocument. */
export function readJsonConfigFile<S extends z.ZodType>(file: string, schema: S, label: string, fail: (message: string) => Error = (m) => new ConfigError(m)): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw fail(`${label}: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  return parseConfigDocument(schema, raw, `${label} ${file}`, fail);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
