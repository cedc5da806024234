import { VERSION } from '../common/version';
import { parseCommand, type Command } from './args';
import { JarvisClient } from './client';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RequestError, UsageError } from './errors';
import { formatAuditVerify, formatChannels, formatCreated, formatDismissed, formatEmailTest, formatForgotten, formatKeyList, formatRevoked, formatSuggestionFeedback, formatSuggestions, formatWebhookTest, jsonText } from './format';
import { formatApproval, formatApprovals, formatCosts, formatDecided, formatRecall, formatRemembered } from './format-operations';
import { formatAgents, formatAgentStats } from './format-tasks';
import { helpText } from './help';
import { runProductionCommand } from './production-commands';
import { runInfraCommand } from './infra-commands';
import { runTaskCommand } from './task-commands';
import type { ProgressStream } from './task-progress';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: typeof fetch;
  /** Where `--wait` draws its progress bar; drawn only if it is a TTY, else status lines go to stderr. */
  progressStream?: ProgressStream;
  /** Calls `handler` on Ctrl-C until the returned function is called (main.ts: SIGINT). */
  onInterrupt?: (handler: () => void) => () => void;
}

/** The API key as given in the environment (or, refused, on the command line), so no output can ever carry it. */
function secrets(argv: string[], env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  if (env.JARVIS_API_KEY?.trim()) found.add(env.JARVIS_API_KEY.trim());
  argv.forEach((arg, i) => {
    if (arg === '--key' && argv[i + 1]) found.add(argv[i + 1]!.trim());
    if (arg.startsWith('--key=')) found.add(arg.slice('--key='.length).trim());
  });
  return [...found].filter((s) => s.length >= 8);
}

function redactor(values: string[]): (text: string) => string {
  return (text) => values.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

function keyIdOf(key: string): string | undefined {
  return /^jrv_([a-f0-9]{16})_/.exec(key)?.[1];
}

interface Out {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the command; a command whose answer decides the exit code returns it (failed requests throw). */
async function execute(command: Command, io: CliIo, { out, err }: Out): Promise<number | void> {
  if (command.kind === 'help') return out(helpText(command.topic));
  if (command.kind === 'version') return out(`jarvis ${VERSION}`);
  const client = new JarvisClient(command.connection, io.fetch);
  const print = <T>(value: T, human: (v: T) => string) => out(command.json ? jsonText(value) : human(value));
  switch (command.kind) {
    case 'keys-list':
      return print(await client.listKeys(command.all), (keys) => formatKeyList(keys, command.all));
    case 'keys-create':
      return print(await client.createKey(command.name, command.scopes), formatCreated);
    case 'keys-revoke':
      // The server refuses (409) to revoke the last active admin key.
      return print(await client.revokeKey(command.id), (key) => formatRevoked(key, keyIdOf(command.connection.key) === key.id));
    case 'audit-verify': {
      const result = await client.verifyAudit();
      print(result, formatAuditVerify);
      return result.ok ? EXIT_OK : EXIT_FAILURE;
    }
    case 'suggestions-list':
      return print(await client.listSuggestions(), formatSuggestions);
    case 'suggestions-dismiss':
      return print(await client.dismissSuggestion(command.id), formatDismissed);
    case 'suggestions-feedback':
      return print(await client.suggestionFeedback(), formatSuggestionFeedback);
    case 'suggestions-forget':
      return print(await client.forgetSuggestionFeedback(command.id), formatForgotten);
    case 'suggestions-channels':
      return print(await client.suggestionChannels(), formatChannels);
    case 'suggestions-test':
      return command.channel === 'webhook' ? print(await client.testWebhook(), formatWebhookTest) : print(await client.testEmail(), formatEmailTest);
    case 'agents-list':
      return print(await client.listAgents(), formatAgents);
    case 'agents-stats':
      return print(await client.agentStats(), formatAgentStats);
    case 'task-submit':
    case 'task-get':
    case 'task-cancel':
      return runTaskCommand(command, client, { out, err, progressStream: io.progressStream, onInterrupt: io.onInterrupt });
    case 'approvals-list':
      return print(await client.listApprovals({ status: command.status, limit: command.limit }), (list) => formatApprovals(list, command.status !== undefined));
    case 'approvals-get':
      return print(await client.getApproval(command.id), formatApproval);
    case 'approvals-decide':
      return print(await client.decideApproval(command.id, command.verb, command.reason), (a) => formatDecided(a, command.verb));
    case 'costs': {
      const [costs, budget] = await Promise.all([client.aiCosts({ groupBy: command.groupBy, from: command.from, to: command.to }), client.aiBudget()]);
      return print({ costs, budget }, (v) => formatCosts(v.costs, v.budget));
    }
    case 'memory-recall':
      return print(await client.recall({ q: command.query, k: command.k, userId: command.userId, type: command.type }), formatRecall);
    case 'produce':
    case 'catalog-get':
    case 'catalog-list':
      return runProductionCommand(command, client, { out, err, onInterrupt: io.onInterrupt });
    case 'infra':
      return runInfraCommand(command, client, { out, err, progressStream: io.progressStream, onInterrupt: io.onInterrupt });
    case 'memory-remember':
      return print(await client.remember({ text: command.text, type: command.type, userId: command.userId }), formatRemembered);
  }
}

/** Runs one CLI invocation and returns its exit code. Everything it prints passes through the redactor. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const redact = redactor(secrets(argv, io.env));
  const out = (text: string) => io.stdout(`${redact(text)}\n`);
  const err = (text: string) => io.stderr(`${redact(text)}\n`);
  try {
    const code = await execute(parseCommand(argv, io.env), io, { out, err });
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
