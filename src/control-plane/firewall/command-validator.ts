import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { FORBIDDEN_COMMANDS, FORBIDDEN_ENV } from './firewall-policy';
import type { CommandLimits, CompiledPolicy, CompiledRule, CompiledSubcommand } from './compiled-policy';

export interface CommandRequest {
  command: string;
  args: readonly string[];
  /** Working directory; the rule's first allowed directory when absent. */
  cwd?: string;
  env?: Readonly<Record<string, string>>;
}

export type DenialCode =
  | 'BAD_COMMAND_NAME'
  | 'COMMAND_FORBIDDEN'
  | 'COMMAND_NOT_ALLOWED'
  | 'TOO_MANY_ARGS'
  | 'BAD_ARGUMENT'
  | 'SUBCOMMAND_NOT_ALLOWED'
  | 'OPTION_DENIED'
  | 'ARGUMENT_NOT_ALLOWED'
  | 'ENV_NOT_ALLOWED'
  | 'CWD_NOT_ALLOWED';

/** The firewall's verdict: an allowed command with everything the executor needs, or why not. */
export type Verdict =
  | { ok: true; rule: string; subcommand: string | null; command: string; args: string[]; cwd: string; env: Record<string, string>; limits: CommandLimits }
  | { ok: false; code: DenialCode; reason: string; rule?: string; argIndex?: number };

const COMMAND_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Printable ASCII only: no NUL, no control characters, no Unicode look-alikes (− for -, ｇit). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Never meaningful in an argument we allow, whatever a pattern says (defence in depth: there is no shell). */
const METACHARACTERS = /[;&|`$<>\\\n\r'"]/;
const PARENT_SEGMENT = /(^|[/=:])\.\.($|[/])/;

const deny = (code: DenialCode, reason: string, extra: { rule?: string; argIndex?: number } = {}): Verdict => ({ ok: false, code, reason, ...extra });

/**
 * Checks a command against the compiled policy. Nothing passes that the policy does not name:
 * the command by exact name (never a path), its subcommand, and every further argument by an
 * anchored whole-argument pattern, after the universal checks (printable ASCII, no shell
 * metacharacters, no `..`, length) and the rule's denied options (with `=value`, attached
 * short values, bundles and unambiguous abbreviations of long options).
 */
export async function checkCommand(policy: CompiledPolicy, request: CommandRequest): Promise<Verdict> {
  const { command, args } = request;
  if (!COMMAND_NAME.test(command)) {
    return deny('BAD_COMMAND_NAME', `"${printable(command)}" is not a bare command name: paths, dots and other characters are refused (the command is looked up on the firewall's fixed PATH)`);
  }
  if (FORBIDDEN_COMMANDS.has(command)) return deny('COMMAND_FORBIDDEN', `${command} is never allowed`);
  const rule = policy.rules.get(command);
  if (!rule) return deny('COMMAND_NOT_ALLOWED', `${command} is not in the firewall policy (allowed: ${[...policy.rules.keys()].join(', ')})`);
  if (args.length > policy.maxArgs) return deny('TOO_MANY_ARGS', `${args.length} arguments; at most ${policy.maxArgs}`, { rule: command });
  // Arguments holding `$`, where the rule lets some of its arguments hold it: checked once the subcommand is known.
  const withDollar = new Set<number>();
  for (let i = 0; i < args.length; i++) {
    let problem = argumentProblem(args[i]!, policy.maxArgLength);
    if (problem && rule.allowsMetacharacters) {
      problem = argumentProblem(args[i]!, policy.maxArgLength, '$');
      if (!problem) withDollar.add(i);
    }
    if (problem) return deny('BAD_ARGUMENT', `argument ${i}: ${problem}`, { rule: command, argIndex: i });
  }
  const matched = matchSubcommand(rule, args);
  if (!matched.ok) return matched.verdict;
  const { subcommand, rest, offset } = matched;
  const patterns = subcommand ? subcommand.args : rule.args;
  const allowed = subcommand ? subcommand.allowedMetacharacters : rule.allowedMetacharacters;
  for (const i of withDollar) {
    if (i < offset || !allowed.has('$')) return deny('BAD_ARGUMENT', `argument ${i}: contains a shell metacharacter ($)`, { rule: command, argIndex: i });
  }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const denied = deniedOption(rule, arg);
    if (denied) return deny('OPTION_DENIED', `argument ${offset + i} (${arg}): ${denied}`, { rule: command, argIndex: offset + i });
    if (!patterns.some((re) => re.test(arg))) {
      return deny('ARGUMENT_NOT_ALLOWED', `argument ${offset + i} (${arg}) is not allowed for ${subcommand ? `${command} ${subcommand.name}` : command}`, { rule: command, argIndex: offset + i });
    }
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (FORBIDDEN_ENV.some((re) => re.test(name)) || !rule.allowedEnv.has(name)) {
      return deny('ENV_NOT_ALLOWED', `environment variable ${printable(name)} may not be set for ${command} (allowed: ${[...rule.allowedEnv].join(', ') || 'none'})`, { rule: command });
    }
    const problem = argumentProblem(value, policy.maxArgLength);
    if (problem) return deny('ENV_NOT_ALLOWED', `environment variable ${name}: ${problem}`, { rule: command });
    env[name] = value;
  }
  const cwd = await resolveCwd(rule, request.cwd);
  if (!cwd.ok) return cwd.verdict;
  return { ok: true, rule: command, subcommand: subcommand?.name ?? null, command, args: [...args], cwd: cwd.dir, env, limits: subcommand?.limits ?? rule.limits };
}

/** What makes an argument unacceptable whatever the patterns say; `tolerated`: a metacharacter not counted as one. */
function argumentProblem(arg: string, maxLength: number, tolerated?: '$'): string | undefined {
  if (arg.length > maxLength) return `${arg.length} characters; at most ${maxLength}`;
  if (!PRINTABLE_ASCII.test(arg)) return 'contains a NUL, a control character or a non-ASCII character';
  const meta = (tolerated ? arg.replaceAll(tolerated, '') : arg).match(METACHARACTERS);
  if (meta) return `contains a shell metacharacter (${meta[0]})`;
  if (PARENT_SEGMENT.test(arg)) return 'contains a .. path segment';
  return undefined;
}

type SubcommandMatch = { ok: true; subcommand: CompiledSubcommand | null; rest: readonly string[]; offset: number } | { ok: false; verdict: Verdict };

function matchSubcommand(rule: CompiledRule, args: readonly string[]): SubcommandMatch {
  if (!rule.subcommands) return { ok: true, subcommand: null, rest: args, offset: 0 };
  const found = rule.subcommands.find((sub) => sub.words.every((word, i) => args[i] === word));
  if (!found) {
    const given = args.length ? `"${args[0]}"` : 'none';
    return { ok: false, verdict: deny('SUBCOMMAND_NOT_ALLOWED', `${rule.name} subcommand ${given} is not allowed (allowed: ${rule.subcommands.map((s) => s.name).join(', ')})`, { rule: rule.name, argIndex: 0 }) };
  }
  return { ok: true, subcommand: found, rest: args.slice(found.words.length), offset: found.words.length };
}

function deniedOption(rule: CompiledRule, arg: string): string | undefined {
  if (!arg.startsWith('-') || arg === '-' ) return undefined;
  const name = arg.replace(/^--?/, '').split('=')[0]!;
  if (name.length > 1 || arg.startsWith('--')) {
    const hit = rule.deniedLong.find((denied) => denied === name || (name.length >= 2 && denied.startsWith(name)));
    if (hit) return hit === name ? `option ${hit} is denied` : `"${name}" abbreviates the denied option ${hit}`;
  }
  if (!arg.startsWith('--')) {
    // A short option bundle (-sSo) or a short option with its value attached (-ofile).
    const letters = /^-([A-Za-z0-9]+)/.exec(arg)?.[1] ?? '';
    for (const letter of letters) if (rule.deniedShort.has(letter)) return `option -${letter} is denied`;
  }
  return undefined;
}

async function resolveCwd(rule: CompiledRule, requested: string | undefined): Promise<{ ok: true; dir: string } | { ok: false; verdict: Verdict }> {
  if (requested === undefined) return { ok: true, dir: rule.allowedDirectories[0]! };
  const problem = argumentProblem(requested, 4_096);
  if (problem || !path.isAbsolute(requested)) {
    return { ok: false, verdict: deny('CWD_NOT_ALLOWED', `cwd must be an absolute path${problem ? ` (${problem})` : ''}`, { rule: rule.name }) };
  }
  let real: string;
  try {
    // realpath: a symlink into an allowed directory resolves to where it really points.
    real = await realpath(requested);
  } catch {
    return { ok: false, verdict: deny('CWD_NOT_ALLOWED', `cwd ${requested} does not exist`, { rule: rule.name }) };
  }
  const inside = rule.allowedDirectories.some((dir) => real === dir || real.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep));
  if (!inside) return { ok: false, verdict: deny('CWD_NOT_ALLOWED', `cwd ${real} is outside ${rule.name}'s allowed directories (${rule.allowedDirectories.join(', ')})`, { rule: rule.name }) };
  return { ok: true, dir: real };
}

/** For messages: the command as a user would read it, control characters escaped. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 64)).slice(1, -1);
}
