import { parseArgs } from 'node:util';
import { z } from 'zod';
import { numberFromText, wholeNumberFromText } from '../common/validation';
import { UsageError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:4000';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Where and how to reach the control plane. The key is only ever sent as a header, never printed. */
export interface Connection {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4000 */
  url: string;
  key: string;
  timeoutMs: number;
}

/** Every option any command takes; which command accepts which is checked by `rejectOptions`. */
export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  url: { type: 'string' },
  // Parsed only to be refused with a clear message (and kept out of every output).
  key: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  payload: { type: 'string' },
  'payload-file': { type: 'string' },
  priority: { type: 'string' },
  wait: { type: 'boolean' },
  'cancel-on-interrupt': { type: 'boolean' },
  reason: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  by: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  k: { type: 'string' },
  user: { type: 'string' },
  type: { type: 'string' },
  title: { type: 'string' },
  genre: { type: 'string' },
  mood: { type: 'string' },
  duration: { type: 'string' },
  provider: { type: 'string' },
  workspace: { type: 'string' },
  target: { type: 'string', multiple: true },
  platform: { type: 'string' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export const GLOBAL_OPTIONS: readonly OptionName[] = ['help', 'url', 'key', 'timeout'];

export function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      // Node's messages go on about "--" and positionals; the first sentence is what matters.
      throw new UsageError(e.message.split('. To specify')[0]!.replace(/\.$/, ''));
    }
    throw err;
  }
}

export type Values = ReturnType<typeof parse>['values'];

/** Validates with zod and turns the first issue into a UsageError naming the input (never echoing its value). */
export function check<S extends z.ZodType>(schema: S, value: unknown, label: string, topic?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UsageError(`${label} ${issue?.message ?? 'is invalid'}`, topic);
}

/** Refuses any option given that `where` does not take, naming it. */
export function rejectOptions(values: Values, allowed: readonly OptionName[], where: string, topic?: string): void {
  for (const name of Object.keys(values) as OptionName[]) {
    if (values[name] === undefined || allowed.includes(name)) continue;
    throw new UsageError(`--${name} is not an option of \`${where}\``, topic);
  }
}

/** Refuses positionals beyond the `expected` count. */
export function noMoreArguments(rest: string[], expected: number, topic: string, hint = ''): void {
  if (rest.length > expected) throw new UsageError(`Unexpected argument "${rest[expected]}"${hint}`, topic);
}

const urlSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL such as http://127.0.0.1:4000' }))
  .transform((value, ctx) => {
    const url = new URL(value);
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials; set JARVIS_API_KEY instead' });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'must not contain a query string or fragment' });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

// Header-safe: a value fetch would reject could end up quoted in its error message.
const keySchema = z.string().trim().min(1, 'is empty').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const timeoutSchema = numberFromText('must be a number of milliseconds')
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100 ms')
  .max(600_000, 'must be at most 600000 ms');

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The connection from JARVIS_URL, JARVIS_TIMEOUT_MS and JARVIS_API_KEY (--url and --timeout override the first two). */
export function connection(values: Values, env: NodeJS.ProcessEnv, topic: string): Connection {
  if (values.key !== undefined) {
    // A key in argv lands in the shell history and in every `ps` listing.
    throw new UsageError('--key is not accepted: a key on the command line shows in the shell history and the process list; set JARVIS_API_KEY instead', topic);
  }
  const url = check(urlSchema, values.url ?? envValue(env, 'JARVIS_URL') ?? DEFAULT_URL, values.url ? '--url' : 'JARVIS_URL', topic);
  const timeoutMs =
    values.timeout !== undefined
      ? check(timeoutSchema, values.timeout, '--timeout', topic)
      : envValue(env, 'JARVIS_TIMEOUT_MS') !== undefined
        ? check(timeoutSchema, envValue(env, 'JARVIS_TIMEOUT_MS'), 'JARVIS_TIMEOUT_MS', topic)
        : DEFAULT_TIMEOUT_MS;
  const rawKey = envValue(env, 'JARVIS_API_KEY');
  if (rawKey === undefined) {
    throw new UsageError('No API key: set JARVIS_API_KEY to an API key of this control plane (it prints an admin key on its first start)', topic);
  }
  const key = check(keySchema, rawKey, 'JARVIS_API_KEY', topic);
  return { url, key, timeoutMs };
}

/** A positive whole number given as a flag, e.g. --limit. */
export const countSchema = (min: number, max: number) =>
  wholeNumberFromText()
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
