import path from 'node:path';
import { z } from 'zod';
import { parseConfigDocument, readJsonConfigFile } from '../../common/env';

/**
 * Commands refused whatever a policy file says: shells and interpreters that run arbitrary
 * code, privilege changers, destructive disk tools, and wrappers that run another command.
 * A policy naming one of them does not load.
 */
export const FORBIDDEN_COMMANDS: ReadonlySet<string> = new Set([
  'rm', 'rmdir', 'dd', 'mkfs', 'fdisk', 'parted', 'shred', 'wipefs', 'mkswap', 'mount', 'umount', 'chmod', 'chown', 'chgrp', 'ln',
  'sudo', 'su', 'doas', 'pkexec', 'runuser', 'setpriv', 'chroot', 'nsenter', 'unshare', 'capsh',
  'sh', 'bash', 'zsh', 'dash', 'ksh', 'csh', 'tcsh', 'fish', 'ash', 'busybox',
  'env', 'eval', 'exec', 'xargs', 'nohup', 'timeout', 'watch', 'time', 'nice', 'ionice', 'stdbuf', 'script', 'expect', 'setsid', 'strace', 'ltrace', 'gdb',
  'python', 'python3', 'perl', 'ruby', 'php', 'lua', 'awk', 'gawk', 'mawk', 'sed', 'find', 'tee', 'cp', 'mv', 'install', 'rsync', 'scp', 'ssh', 'nc', 'ncat', 'socat', 'telnet', 'wget', 'crontab', 'at', 'systemctl', 'kill', 'pkill', 'killall', 'reboot', 'shutdown', 'halt', 'poweroff', 'init',
]);

/** Subcommands that change real infrastructure or its state: a policy that lets them run without approval does not load. */
const ALWAYS_HELD: Readonly<Record<string, readonly string[]>> = {
  terraform: ['apply', 'destroy'],
  pulumi: ['up', 'destroy', 'refresh', 'import', 'cancel', 'state delete', 'state edit', 'state move', 'state unprotect'],
  aws: ['cloudformation execute-change-set', 'cloudformation delete-stack', 'cloudformation deploy', 'cloudformation create-stack', 'cloudformation update-stack'],
};

/** Environment variables no rule may let through: they change what a program loads or runs (or would carry a secret over the wire). */
export const FORBIDDEN_ENV: readonly RegExp[] = [
  /^LD_/, /^DYLD_/, /^NODE_OPTIONS$/, /^NODE_PATH$/, /^NODE_REPL_EXTERNAL_MODULE$/, /^GIT_/, /^SSH_/, /^BASH_ENV$/, /^ENV$/, /^SHELL$/, /^SHELLOPTS$/,
  /^PS4$/, /^PATH$/, /^HOME$/, /^IFS$/, /^PYTHON/, /^PERL5?/, /^RUBY/, /^NPM_CONFIG_/i, /^DOCKER_HOST$/, /^DOCKER_CONFIG$/, /^KUBECONFIG$/,
  /^AWS_(CONFIG_FILE|SHARED_CREDENTIALS_FILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|CA_BUNDLE|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|ENDPOINT_URL.*)$/, /^TF_CLI_ARGS/, /^TF_PLUGIN/, /^PULUMI_(HOME|BACKEND_URL|ACCESS_TOKEN|CONFIG_PASSPHRASE)$/, /^CURL_HOME$/, /^EDITOR$/, /^VISUAL$/, /^PAGER$/, /^GIT_PAGER$/,
  /^LESSOPEN$/, /^MALLOC_/, /^GCONV_PATH$/, /^HOSTALIASES$/, /^RES_OPTIONS$/, /^LOCALDOMAIN$/, /^TMPDIR$/,
];

const COMMAND_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/** A regex source, compiled anchored (whole argument) at load so a bad one fails the load. */
const pattern = z.string().min(1).max(500).refine((source) => {
  try {
    new RegExp(`^(?:${source})$`, 'u');
    return true;
  } catch {
    return false;
  }
}, 'is not a valid regular expression');

const limits = {
  maxExecutionTimeMs: z.number().int().min(100).max(3_600_000).optional(),
  maxOutputBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).optional(),
  maxConcurrent: z.number().int().min(1).max(64).optional(),
  requireApproval: z.boolean().optional(),
};

/**
 * Shell metacharacters a rule's arguments may hold after all: `$` only (a Pulumi URN joins a
 * component's child's type to its parents' with it). There is no shell, so it is inert; every
 * other metacharacter stays refused in every argument.
 */
const allowedMetacharacters = z
  .array(z.literal('$', { error: 'only $ may be allowed (; & | ` < > \\ quotes and line breaks are refused in every argument)' }))
  .max(1)
  .optional();

const subcommandSchema = z.strictObject({
  description: z.string().max(300).optional(),
  /** Patterns every further argument must match one of (anchored, whole argument). */
  args: z.array(pattern).max(100).default([]),
  /** Metacharacters (only `$`) this subcommand's arguments may contain; default: the rule's. */
  allowedMetacharacters,
  ...limits,
});

const ruleSchema = z.strictObject({
  description: z.string().max(300),
  /** Allowed subcommands, possibly several words (`s3 ls`); absent: the command takes no subcommand. */
  subcommands: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*( [a-z0-9][a-z0-9-]*)*$/, 'subcommands are lowercase words'), subcommandSchema).optional(),
  /** For commands without subcommands: patterns every argument must match one of. */
  args: z.array(pattern).max(100).default([]),
  /** Metacharacters (only `$`) the arguments may contain, where a pattern allows them; default none. */
  allowedMetacharacters,
  /** Options refused even if a pattern would match: exact, `--opt=value`, attached short values, bundles and unambiguous abbreviations. */
  deniedOptions: z.array(z.string().regex(/^--?[A-Za-z0-9][A-Za-z0-9-]*$/, 'must look like -x or --long-option')).max(200).default([]),
  /** Directories (absolute, resolved with realpath at load) a command may run in. */
  allowedDirectories: z.array(z.string().min(1)).max(50).optional(),
  /** Environment variables a request may set for this command. */
  allowedEnv: z.array(z.string().regex(ENV_NAME, 'must be an UPPER_CASE variable name')).max(50).default([]),
  ...limits,
});

export const policySchema = z
  .strictObject({
    version: z.literal(1),
    /** Where commands are looked up, in order; absolute directories only. */
    path: z.array(z.string().regex(/^\/[^\0]*$/, 'must be an absolute directory')).min(1).max(20),
    defaults: z.strictObject({
      maxExecutionTimeMs: z.number().int().min(100).max(3_600_000).default(30_000),
      maxOutputBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
      maxConcurrent: z.number().int().min(1).max(64).default(2),
      allowedDirectories: z.array(z.string().min(1)).min(1).max(50),
      maxArgs: z.number().int().min(1).max(256).default(64),
      maxArgLength: z.number().int().min(16).max(8_192).default(1_024),
    }),
    maxConcurrentTotal: z.number().int().min(1).max(256).default(8),
    rules: z.record(z.string().regex(COMMAND_NAME, 'command names are lowercase words'), ruleSchema),
  })
  .superRefine((policy, ctx) => {
    for (const name of Object.keys(policy.rules)) {
      if (FORBIDDEN_COMMANDS.has(name)) ctx.addIssue({ code: 'custom', path: ['rules', name], message: `${name} is never allowed, whatever the policy says` });
    }
    // Changing or destroying real infrastructure (or its state) always waits for a person (issue 7: apply/destroy always need approval).
    for (const [name, subs] of Object.entries(ALWAYS_HELD)) {
      const rule = policy.rules[name];
      if (rule && !rule.subcommands && !rule.requireApproval) {
        ctx.addIssue({ code: 'custom', path: ['rules', name, 'requireApproval'], message: `${name} without subcommands must require approval (it could ${subs.join(' or ')})` });
      }
      for (const sub of subs) {
        const held = rule?.subcommands?.[sub];
        if (held && !(held.requireApproval ?? rule!.requireApproval)) {
          ctx.addIssue({ code: 'custom', path: ['rules', name, 'subcommands', sub, 'requireApproval'], message: `${name} ${sub} must always require approval` });
        }
      }
    }
    for (const [name, rule] of Object.entries(policy.rules)) {
      for (const variable of rule.allowedEnv) {
        if (FORBIDDEN_ENV.some((re) => re.test(variable))) ctx.addIssue({ code: 'custom', path: ['rules', name, 'allowedEnv'], message: `${variable} may never be set` });
      }
    }
  });

export type PolicyFile = z.output<typeof policySchema>;
export type PolicyRule = z.output<typeof ruleSchema>;

/** The policy shipped with Jarvis (the blueprint's whitelist), wherever the process was started from. */
export const DEFAULT_POLICY_FILE = path.join(__dirname, '..', '..', '..', 'config', 'firewall-policy.json');

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

const policyError = (message: string) => new PolicyError(message);

/** Reads and validates a policy file (JSON); the message names every offending field. */
export function readPolicyFile(file: string): PolicyFile {
  return readJsonConfigFile(file, policySchema, 'Firewall policy', policyError);
}

export function parsePolicy(raw: unknown, where = 'policy'): PolicyFile {
  return parseConfigDocument(policySchema, raw, `Firewall ${where}`, policyError);
}
