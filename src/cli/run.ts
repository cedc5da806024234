import { VERSION } from '../common/version';
import { parseCommand, type Command } from './args';
import { AdminClient } from './client';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RequestError, UsageError } from './errors';
import { formatAuditVerify, formatCreated, formatKeyList, formatRevoked } from './format';
import { helpText } from './help';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: typeof fetch;
}

/** The admin credential as given on the command line or in the environment, so no output can ever carry it. */
function adminSecrets(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const secrets = new Set<string>();
  if (env.JARVIS_API_KEY?.trim()) secrets.add(env.JARVIS_API_KEY.trim());
  argv.forEach((arg, i) => {
    if (arg === '--key' && argv[i + 1]) secrets.add(argv[i + 1]!.trim());
    if (arg.startsWith('--key=')) secrets.add(arg.slice('--key='.length).trim());
  });
  return [...secrets].filter((s) => s.length >= 8);
}

function redactor(secrets: string[]): (text: string) => string {
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

function keyIdOf(key: string): string | undefined {
  return /^jrv_([a-f0-9]{16})_/.exec(key)?.[1];
}

/** Runs the command; a command whose answer decides the exit code returns it (failed requests throw). */
async function execute(command: Command, io: CliIo, out: (text: string) => void): Promise<number | void> {
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));
  switch (command.kind) {
    case 'help':
      return out(helpText(command.topic));
    case 'version':
      return out(`jarvis ${VERSION}`);
    case 'keys-list': {
      const keys = await new AdminClient(command.connection, io.fetch).listKeys(command.all);
      return command.json ? json(keys) : out(formatKeyList(keys, command.all));
    }
    case 'keys-create': {
      const created = await new AdminClient(command.connection, io.fetch).createKey(command.name, command.scopes);
      return command.json ? json(created) : out(formatCreated(created));
    }
    case 'keys-revoke': {
      // The server refuses (409) to revoke the last active admin key.
      const revoked = await new AdminClient(command.connection, io.fetch).revokeKey(command.id);
      return command.json ? json(revoked) : out(formatRevoked(revoked, keyIdOf(command.connection.key) === revoked.id));
    }
    case 'audit-verify': {
      const result = await new AdminClient(command.connection, io.fetch).verifyAudit();
      if (command.json) json(result);
      else out(formatAuditVerify(result));
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    }
  }
}

/** Runs one CLI invocation and returns its exit code. Everything it prints passes through the redactor. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const redact = redactor(adminSecrets(argv, io.env));
  const out = (text: string) => io.stdout(`${redact(text)}\n`);
  const err = (text: string) => io.stderr(`${redact(text)}\n`);
  try {
    const code = await execute(parseCommand(argv, io.env), io, out);
    return typeof code === 'number' ? code : EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message === 'Missing command') err(`jarvis: missing command\n\n${helpText()}`);
      else err(`jarvis: ${e.message}\nRun \`jarvis help${e.topic ? ` ${e.topic}` : ''}\` for usage.`);
      return EXIT_USAGE;
    }
    if (e instanceof RequestError) {
      err(`jarvis: ${e.message}`);
      return EXIT_FAILURE;
    }
    err(`jarvis: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT_FAILURE;
  }
}
