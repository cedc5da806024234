import { realpathSync } from 'node:fs';
import path from 'node:path';
import { PolicyError, type PolicyFile, type PolicyRule } from './firewall-policy';

export interface CommandLimits {
  maxExecutionTimeMs: number;
  maxOutputBytes: number;
  maxConcurrent: number;
  requireApproval: boolean;
}

export interface CompiledSubcommand {
  name: string;
  words: readonly string[];
  args: readonly RegExp[];
  /** Metacharacters its arguments may hold (only `$`), where a pattern allows them. */
  allowedMetacharacters: ReadonlySet<string>;
  limits: CommandLimits;
}

export interface CompiledRule {
  name: string;
  description: string;
  /** null: the command takes no subcommand and `args` applies to every argument. */
  subcommands: readonly CompiledSubcommand[] | null;
  args: readonly RegExp[];
  /** For a command without subcommands: metacharacters its arguments may hold (only `$`). */
  allowedMetacharacters: ReadonlySet<string>;
  /** Whether the rule or any of its subcommands allows a metacharacter. */
  allowsMetacharacters: boolean;
  limits: CommandLimits;
  /** Denied option names longer than one letter, without dashes. */
  deniedLong: readonly string[];
  deniedShort: ReadonlySet<string>;
  allowedDirectories: readonly string[];
  allowedEnv: ReadonlySet<string>;
  /** The rule as written, for GET /api/v1/firewall/rules. */
  source: PolicyRule;
}

export interface CompiledPolicy {
  path: readonly string[];
  maxArgs: number;
  maxArgLength: number;
  maxConcurrentTotal: number;
  rules: ReadonlyMap<string, CompiledRule>;
}

export interface ApprovalOverrides {
  /** TERMINAL_REQUIRE_APPROVAL_FOR_KUBECTL / _FOR_TERRAFORM: true forces approval for every run of the command. */
  kubectl: boolean;
  terraform: boolean;
}

const anchored = (source: string) => new RegExp(`^(?:${source})$`, 'u');

/**
 * Turns a validated policy into what the validator checks against: patterns compiled
 * anchored, limits resolved (subcommand over rule over defaults), directories resolved with
 * realpath (relative ones against `baseDir`) so a symlink cannot widen them later.
 */
export function compilePolicy(policy: PolicyFile, baseDir: string, overrides: ApprovalOverrides): CompiledPolicy {
  const rules = new Map<string, CompiledRule>();
  for (const [name, rule] of Object.entries(policy.rules)) {
    const forced = (name === 'kubectl' && overrides.kubectl) || (name === 'terraform' && overrides.terraform);
    const ruleLimits: CommandLimits = {
      maxExecutionTimeMs: rule.maxExecutionTimeMs ?? policy.defaults.maxExecutionTimeMs,
      maxOutputBytes: rule.maxOutputBytes ?? policy.defaults.maxOutputBytes,
      maxConcurrent: rule.maxConcurrent ?? policy.defaults.maxConcurrent,
      requireApproval: forced || (rule.requireApproval ?? false),
    };
    const subcommands = rule.subcommands
      ? Object.entries(rule.subcommands)
          .map(([sub, spec]) => ({
            name: sub,
            words: sub.split(' '),
            args: spec.args.map(anchored),
            allowedMetacharacters: new Set(spec.allowedMetacharacters ?? rule.allowedMetacharacters ?? []),
            limits: {
              maxExecutionTimeMs: spec.maxExecutionTimeMs ?? ruleLimits.maxExecutionTimeMs,
              maxOutputBytes: spec.maxOutputBytes ?? ruleLimits.maxOutputBytes,
              maxConcurrent: spec.maxConcurrent ?? ruleLimits.maxConcurrent,
              requireApproval: forced || (spec.requireApproval ?? ruleLimits.requireApproval),
            },
          }))
          // Longest first, so `s3 cp` is matched before a bare `s3`.
          .sort((a, b) => b.words.length - a.words.length)
      : null;
    rules.set(name, {
      name,
      description: rule.description,
      subcommands,
      args: rule.args.map(anchored),
      allowedMetacharacters: new Set(rule.allowedMetacharacters ?? []),
      allowsMetacharacters: Boolean(rule.allowedMetacharacters?.length || Object.values(rule.subcommands ?? {}).some((spec) => spec.allowedMetacharacters?.length)),
      limits: ruleLimits,
      // Names without their dashes: Go-style tools (terraform) take -name and --name alike.
      deniedLong: rule.deniedOptions.map((o) => o.replace(/^--?/, '')).filter((n) => n.length > 1),
      deniedShort: new Set(rule.deniedOptions.filter((o) => /^-[A-Za-z0-9]$/.test(o)).map((o) => o[1]!)),
      allowedDirectories: (rule.allowedDirectories ?? policy.defaults.allowedDirectories).map((dir) => resolveDirectory(dir, baseDir, name)),
      allowedEnv: new Set(rule.allowedEnv),
      source: rule,
    });
  }
  return { path: policy.path, maxArgs: policy.defaults.maxArgs, maxArgLength: policy.defaults.maxArgLength, maxConcurrentTotal: policy.maxConcurrentTotal, rules };
}

function resolveDirectory(dir: string, baseDir: string, rule: string): string {
  try {
    return realpathSync(path.resolve(baseDir, dir));
  } catch {
    throw new PolicyError(`Firewall policy: rules.${rule}.allowedDirectories: ${dir} does not exist`);
  }
}
