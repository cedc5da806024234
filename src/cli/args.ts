import { parseArgs } from 'node:util';
import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeyScope } from '../control-plane/auth/principal';
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

export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  | { kind: 'version' }
  | { kind: 'keys-create'; connection: Connection; json: boolean; name: string; scopes: ApiKeyScope[] }
  | { kind: 'keys-list'; connection: Connection; json: boolean; all: boolean }
  | { kind: 'keys-revoke'; connection: Connection; json: boolean; id: string }
  | { kind: 'audit-verify'; connection: Connection; json: boolean };

export const HELP_TOPICS = ['keys', 'keys create', 'keys list', 'keys revoke', 'audit', 'audit verify'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  url: { type: 'string' },
  key: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  all: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;
const GLOBAL_OPTIONS: readonly OptionName[] = ['help', 'url', 'key', 'timeout'];
const COMMAND_OPTIONS: Record<'create' | 'list' | 'revoke' | 'verify', readonly OptionName[]> = {
  create: ['name', 'scope', 'json'],
  list: ['all', 'json'],
  revoke: ['json'],
  verify: ['json'],
};

// --- input schemas -------------------------------------------------------------------------

/** Validates with zod and turns the first issue into a UsageError naming the input (never echoing its value). */
function check<S extends z.ZodType>(schema: S, value: unknown, label: string, topic?: HelpTopic): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UsageError(`${label} ${issue?.message ?? 'is invalid'}`, topic);
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

const timeoutSchema = z.coerce
  .number({ message: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(100, 'must be at least 100 ms')
  .max(600_000, 'must be at most 600000 ms');

const nameSchema = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const scopesSchema = z
  .array(z.string())
  .default([])
  // "--scope admin,devops" is accepted as well as repeating --scope.
  .transform((values) => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(z.enum(API_KEY_SCOPES, { message: `must be one of: ${API_KEY_SCOPES.join(', ')}` })))
  .transform((scopes) => [...new Set(scopes)]);

export const keyIdSchema = z
  .string()
  .trim()
  .regex(/^[a-f0-9]{16}$/, 'must be a 16-character key id as shown by `jarvis keys list` (not the key itself)');

// --- parsing -------------------------------------------------------------------------------

function parse(argv: string[]) {
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

type Values = ReturnType<typeof parse>['values'];

function rejectOptions(values: Values, allowed: readonly OptionName[], where: string, topic?: HelpTopic): void {
  for (const name of Object.keys(values) as OptionName[]) {
    if (values[name] === undefined || allowed.includes(name)) continue;
    throw new UsageError(`--${name} is not an option of \`${where}\``, topic);
  }
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function connection(values: Values, env: NodeJS.ProcessEnv, topic: HelpTopic): Connection {
  const url = check(urlSchema, values.url ?? envValue(env, 'JARVIS_URL') ?? DEFAULT_URL, values.url ? '--url' : 'JARVIS_URL', topic);
  const timeoutMs =
    values.timeout !== undefined
      ? check(timeoutSchema, values.timeout, '--timeout', topic)
      : envValue(env, 'JARVIS_TIMEOUT_MS') !== undefined
        ? check(timeoutSchema, envValue(env, 'JARVIS_TIMEOUT_MS'), 'JARVIS_TIMEOUT_MS', topic)
        : DEFAULT_TIMEOUT_MS;
  const rawKey = values.key ?? envValue(env, 'JARVIS_API_KEY');
  if (rawKey === undefined) {
    throw new UsageError(
      'No admin API key: set JARVIS_API_KEY to an API key with the admin scope (the control plane prints one on its first start)',
      topic,
    );
  }
  const key = check(keySchema, rawKey, values.key !== undefined ? '--key' : 'JARVIS_API_KEY', topic);
  return { url, key, timeoutMs };
}

/** Turns argv (without node and the script) into a validated command, or throws a UsageError. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  const { values, positionals } = parse(argv);
  const [group, sub, ...rest] = positionals;

  if (group === undefined) {
    if (values.version) return { kind: 'version' };
    if (values.help) return { kind: 'help' };
    throw new UsageError('Missing command');
  }
  if (group === 'help') {
    const topic = positionals.slice(1).join(' ');
    if (!topic) return { kind: 'help' };
    if (isTopic(topic)) return { kind: 'help', topic };
    throw new UsageError(`No help for "${topic}"`);
  }
  if (group === 'audit') return parseAudit(sub, rest, values, env);
  if (group !== 'keys') throw new UsageError(`Unknown command "${group}"`);
  return parseKeys(sub, rest, values, env);
}

function parseKeys(sub: string | undefined, rest: string[], values: Values, env: NodeJS.ProcessEnv): Command {
  if (sub === undefined) {
    if (values.help) return { kind: 'help', topic: 'keys' };
    throw new UsageError('Missing subcommand: create, list or revoke', 'keys');
  }
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    throw new UsageError(`Unknown subcommand "keys ${sub}": use create, list or revoke`, 'keys');
  }
  const topic: HelpTopic = `keys ${sub}`;
  if (values.help) return { kind: 'help', topic };
  rejectOptions(values, [...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[sub]], topic, topic);
  const json = values.json ?? false;

  switch (sub) {
    case 'create': {
      if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}" (give the name with --name)`, topic);
      if (values.name === undefined) throw new UsageError('Missing --name NAME', topic);
      const name = check(nameSchema, values.name, '--name', topic);
      const scopes = check(scopesSchema, values.scope, '--scope', topic);
      return { kind: 'keys-create', connection: connection(values, env, topic), json, name, scopes };
    }
    case 'list': {
      if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`, topic);
      return { kind: 'keys-list', connection: connection(values, env, topic), json, all: values.all ?? false };
    }
    case 'revoke': {
      if (rest.length === 0) throw new UsageError('Missing the id of the key to revoke', topic);
      if (rest.length > 1) throw new UsageError(`Unexpected argument "${rest[1]}": revoke one key at a time`, topic);
      // Do not echo the argument: someone may have pasted a whole key here.
      const id = check(keyIdSchema, rest[0], 'ID', topic);
      return { kind: 'keys-revoke', connection: connection(values, env, topic), json, id };
    }
  }
}

function parseAudit(sub: string | undefined, rest: string[], values: Values, env: NodeJS.ProcessEnv): Command {
  if (sub === undefined) {
    if (values.help) return { kind: 'help', topic: 'audit' };
    throw new UsageError('Missing subcommand: verify', 'audit');
  }
  if (sub !== 'verify') throw new UsageError(`Unknown subcommand "audit ${sub}": use verify`, 'audit');
  const topic: HelpTopic = 'audit verify';
  if (values.help) return { kind: 'help', topic };
  rejectOptions(values, [...GLOBAL_OPTIONS, ...COMMAND_OPTIONS.verify], topic, topic);
  if (rest.length) throw new UsageError(`Unexpected argument "${rest[0]}"`, topic);
  return { kind: 'audit-verify', connection: connection(values, env, topic), json: values.json ?? false };
}

function isTopic(value: string): value is HelpTopic {
  return (HELP_TOPICS as readonly string[]).includes(value);
}
