import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeyScope } from '../control-plane/auth/principal';
import { suggestionIdSchema } from '../control-plane/http/suggestions.routes';
import { check, connection, GLOBAL_OPTIONS, noMoreArguments, parse, rejectOptions, type Connection, type OptionName, type Values } from './args-common';
import { parseApprovals, parseCosts, parseMemory, type OperationsCommand } from './args-operations';
import { parseTask, type TaskCommand } from './args-task';
import { parseCatalog, parseProduce, type ProductionCommand } from './production-commands';
import { INFRA_ACTIONS, parseInfra, type InfraCommand } from './infra-commands';
import { UsageError } from './errors';

export { DEFAULT_TIMEOUT_MS, DEFAULT_URL, type Connection } from './args-common';

export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  | { kind: 'version' }
  | { kind: 'keys-create'; connection: Connection; json: boolean; name: string; scopes: ApiKeyScope[] }
  | { kind: 'keys-list'; connection: Connection; json: boolean; all: boolean }
  | { kind: 'keys-revoke'; connection: Connection; json: boolean; id: string }
  | { kind: 'audit-verify'; connection: Connection; json: boolean }
  | { kind: 'suggestions-list'; connection: Connection; json: boolean }
  | { kind: 'suggestions-dismiss'; connection: Connection; json: boolean; id: string }
  | { kind: 'suggestions-feedback'; connection: Connection; json: boolean }
  | { kind: 'suggestions-forget'; connection: Connection; json: boolean; id: string }
  | { kind: 'suggestions-test'; connection: Connection; json: boolean; channel: 'webhook' | 'email' }
  | { kind: 'suggestions-channels'; connection: Connection; json: boolean }
  | { kind: 'agents-list'; connection: Connection; json: boolean }
  | { kind: 'agents-stats'; connection: Connection; json: boolean }
  | TaskCommand
  | OperationsCommand
  | ProductionCommand
  | InfraCommand;

/** Each group with its subcommands; `jarvis help <group> [<sub>]` names one of these topics. */
export const GROUPS = {
  keys: ['create', 'list', 'revoke'],
  audit: ['verify'],
  suggestions: ['list', 'dismiss', 'feedback', 'forget', 'channels', 'test'],
  agents: ['list', 'stats'],
  task: ['submit', 'get', 'cancel'],
  approvals: ['list', 'get', 'approve', 'deny'],
  costs: [],
  memory: ['recall', 'remember'],
  produce: [],
  catalog: ['get', 'list'],
  infra: INFRA_ACTIONS,
} as const satisfies Record<string, readonly string[]>;

type Group = keyof typeof GROUPS;
export type HelpTopic = { [G in Group]: G | `${G} ${(typeof GROUPS)[G][number]}` }[Group];
export const HELP_TOPICS: readonly HelpTopic[] = (Object.keys(GROUPS) as Group[]).flatMap((g) => [g, ...GROUPS[g].map((s) => `${g} ${s}`)] as HelpTopic[]);

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

/** What a subcommand needs before its own parsing: help was not asked for, and only its options were given. */
export interface Invocation {
  sub: string;
  topic: HelpTopic;
  rest: string[];
  values: Values;
  json: boolean;
  connection: () => Connection;
}

/**
 * Resolves `<group> <sub>` (`<group>` alone is `<group> <defaultSub>` when there is one), answering help
 * and refusing options the subcommand does not take. A string result is a help topic.
 */
function invocation(
  group: Group,
  positionals: string[],
  values: Values,
  env: NodeJS.ProcessEnv,
  options: Record<string, readonly OptionName[]>,
  defaultSub?: string,
): Invocation | HelpTopic {
  const subs: readonly string[] = GROUPS[group];
  const [given, ...rest] = positionals;
  if (given === undefined) {
    if (values.help) return group;
    if (!defaultSub) throw new UsageError(`Missing subcommand: ${listOf(subs)}`, group);
  }
  const sub = given ?? defaultSub!;
  if (!subs.includes(sub)) throw new UsageError(`Unknown subcommand "${group} ${sub}": use ${listOf(subs)}`, group);
  const topic = `${group} ${sub}` as HelpTopic;
  if (values.help) return topic;
  rejectOptions(values, [...GLOBAL_OPTIONS, ...(options[sub] ?? [])], topic, topic);
  return { sub, topic, rest, values, json: values.json ?? false, connection: () => connection(values, env, topic) };
}

function listOf(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? '');
}

/** Turns argv (without node and the script) into a validated command, or throws a UsageError. */
export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  const { values, positionals } = parse(argv);
  const [group, ...afterGroup] = positionals;

  if (group === undefined) {
    if (values.version) return { kind: 'version' };
    if (values.help) return { kind: 'help' };
    throw new UsageError('Missing command');
  }
  if (group === 'help') {
    const topic = afterGroup.join(' ');
    if (!topic) return { kind: 'help' };
    if (isTopic(topic)) return { kind: 'help', topic };
    throw new UsageError(`No help for "${topic}"`);
  }
  if (group === 'costs') {
    if (values.help) return { kind: 'help', topic: 'costs' };
    rejectOptions(values, [...GLOBAL_OPTIONS, 'by', 'from', 'to', 'json'], 'costs', 'costs');
    return parseCosts(afterGroup, values, env);
  }
  if (group === 'produce') {
    if (values.help) return { kind: 'help', topic: 'produce' };
    rejectOptions(values, [...GLOBAL_OPTIONS, 'title', 'genre', 'mood', 'duration', 'provider', 'platform', 'wait', 'cancel-on-interrupt', 'json'], 'produce', 'produce');
    return parseProduce(afterGroup, values, () => connection(values, env, 'produce'));
  }
  const parsed = parseGroup(group, afterGroup, values, env);
  return typeof parsed === 'string' ? { kind: 'help', topic: parsed } : parsed;
}

function parseGroup(group: string, positionals: string[], values: Values, env: NodeJS.ProcessEnv): Command | HelpTopic {
  switch (group) {
    case 'keys': {
      const inv = invocation('keys', positionals, values, env, { create: ['name', 'scope', 'json'], list: ['all', 'json'], revoke: ['json'] });
      return typeof inv === 'string' ? inv : parseKeys(inv);
    }
    case 'audit': {
      const inv = invocation('audit', positionals, values, env, { verify: ['json'] });
      if (typeof inv === 'string') return inv;
      noMoreArguments(inv.rest, 0, inv.topic);
      return { kind: 'audit-verify', connection: inv.connection(), json: inv.json };
    }
    case 'suggestions': {
      // `jarvis suggestions` alone lists them.
      const inv = invocation('suggestions', positionals, values, env, { list: ['json'], dismiss: ['json'], feedback: ['json'], forget: ['json'], channels: ['json'], test: ['json'] }, 'list');
      if (typeof inv === 'string') return inv;
      if (inv.sub === 'list' || inv.sub === 'feedback' || inv.sub === 'channels') {
        noMoreArguments(inv.rest, 0, inv.topic);
        return { kind: `suggestions-${inv.sub}`, connection: inv.connection(), json: inv.json };
      }
      noMoreArguments(inv.rest, 1, inv.topic);
      if (inv.sub === 'test') {
        const [channel] = inv.rest;
        if (channel !== 'webhook' && channel !== 'email') throw new UsageError(`Which channel to test: webhook or email${channel === undefined ? '' : ` (not "${channel}")`}`, inv.topic);
        return { kind: 'suggestions-test', connection: inv.connection(), json: inv.json, channel };
      }
      const [id] = inv.rest;
      if (id === undefined) throw new UsageError(`Missing suggestion ID (as shown by \`jarvis suggestions${inv.sub === 'forget' ? ' feedback' : ''}\`)`, inv.topic);
      return { kind: inv.sub === 'forget' ? 'suggestions-forget' : 'suggestions-dismiss', connection: inv.connection(), json: inv.json, id: check(suggestionIdSchema, id, 'ID', inv.topic) };
    }
    case 'agents': {
      // `jarvis agents` alone lists them.
      const inv = invocation('agents', positionals, values, env, { list: ['json'], stats: ['json'] }, 'list');
      if (typeof inv === 'string') return inv;
      noMoreArguments(inv.rest, 0, inv.topic);
      return { kind: inv.sub === 'stats' ? 'agents-stats' : 'agents-list', connection: inv.connection(), json: inv.json };
    }
    case 'task': {
      const inv = invocation('task', positionals, values, env, {
        submit: ['payload', 'payload-file', 'priority', 'wait', 'cancel-on-interrupt', 'json'],
        get: ['wait', 'cancel-on-interrupt', 'json'],
        cancel: ['json'],
      });
      return typeof inv === 'string' ? inv : parseTask(inv);
    }
    case 'infra': {
      const options = ['provider', 'workspace', 'target', 'json'] as const;
      const inv = invocation('infra', positionals, values, env, Object.fromEntries(INFRA_ACTIONS.map((a) => [a, options])));
      return typeof inv === 'string' ? inv : parseInfra(inv.sub, inv.rest, inv.values, inv.connection, inv.topic);
    }
    case 'approvals': {
      const inv = invocation('approvals', positionals, values, env, { list: ['status', 'limit', 'json'], get: ['json'], approve: ['reason', 'json'], deny: ['reason', 'json'] });
      return typeof inv === 'string' ? inv : parseApprovals(inv);
    }
    case 'memory': {
      const inv = invocation('memory', positionals, values, env, { recall: ['k', 'user', 'type', 'json'], remember: ['type', 'user', 'json'] });
      return typeof inv === 'string' ? inv : parseMemory(inv);
    }
    case 'catalog': {
      const inv = invocation('catalog', positionals, values, env, { get: ['json'], list: ['limit', 'json'] }, 'list');
      return typeof inv === 'string' ? inv : parseCatalog(inv.sub, inv.rest, inv.values, inv.connection);
    }
    default:
      throw new UsageError(`Unknown command "${group}"`);
  }
}

function parseKeys(inv: Invocation): Command {
  const { topic, rest, values, json } = inv;
  switch (inv.sub) {
    case 'create': {
      noMoreArguments(rest, 0, topic, ' (give the name with --name)');
      if (values.name === undefined) throw new UsageError('Missing --name NAME', topic);
      const name = check(nameSchema, values.name, '--name', topic);
      const scopes = check(scopesSchema, values.scope, '--scope', topic);
      return { kind: 'keys-create', connection: inv.connection(), json, name, scopes };
    }
    case 'list':
      noMoreArguments(rest, 0, topic);
      return { kind: 'keys-list', connection: inv.connection(), json, all: values.all ?? false };
    default: {
      if (rest.length === 0) throw new UsageError('Missing the id of the key to revoke', topic);
      noMoreArguments(rest, 1, topic, ': revoke one key at a time');
      // Do not echo the argument: someone may have pasted a whole key here.
      const id = check(keyIdSchema, rest[0], 'ID', topic);
      return { kind: 'keys-revoke', connection: inv.connection(), json, id };
    }
  }
}

function isTopic(value: string): value is HelpTopic {
  return (HELP_TOPICS as readonly string[]).includes(value);
}
