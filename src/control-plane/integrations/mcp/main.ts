import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { ConfigError } from '../../../common/env';
import { createLogger, type Logger } from '../../../common/logger';
import { VERSION } from '../../../common/version';
import { ControlPlaneClient } from './control-plane-client';
import { loadMcpConfig, type McpConfig } from './mcp-config';
import { createJarvisMcpServer } from './mcp-server';

/**
 * `npm run mcp` / `jarvis-mcp`: the Jarvis MCP server on stdio, for Claude Desktop and other
 * MCP clients. stdout carries the protocol and nothing else; every log line goes to stderr.
 */

/** The environment is wrong: nothing started (as the CLI's usage errors). */
const EXIT_CONFIG = 2;

const statusSchema = z.looseObject({ version: z.string() });

/** Says on stderr, once at start, whether the control plane answers this key: the first place to look when tools fail. */
async function checkControlPlane(client: ControlPlaneClient, logger: Logger): Promise<void> {
  const outcome = await client.call('GET', '/status', statusSchema);
  if (outcome.ok) {
    logger.info('control plane reachable', { url: client.baseUrl, controlPlaneVersion: outcome.data.version });
    return;
  }
  const { code, status, message, hint } = outcome.failure;
  // `reason`, not `message`: winston would fold a `message` field into the log line's own.
  logger.warn('control plane check failed; tools will answer errors until this is fixed', { url: client.baseUrl, code, status, reason: message, hint });
}

function readConfig(): McpConfig | undefined {
  try {
    return loadMcpConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`jarvis-mcp: ${err.message}\n`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  if (!config) {
    process.exitCode = EXIT_CONFIG;
    return;
  }
  const logger = createLogger({ level: config.logLevel, service: 'jarvis-mcp', stream: process.stderr });
  const client = new ControlPlaneClient({ url: config.url, apiKey: config.apiKey, timeoutMs: config.timeoutMs, longTimeoutMs: config.longTimeoutMs });
  const server = createJarvisMcpServer({ client, logger });
  const transport = new StdioServerTransport();

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('jarvis MCP server stopping', { reason });
    // Calls in flight are bounded by their timeouts; the client has gone, so nobody waits for them.
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  // The client closing our stdin is how MCP clients end a stdio server.
  process.stdin.once('end', () => stop('stdin closed'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  await server.connect(transport);
  logger.info('jarvis MCP server ready on stdio', { version: VERSION, url: config.url, timeoutMs: config.timeoutMs, longTimeoutMs: config.longTimeoutMs });
  void checkControlPlane(client, logger);
}

main().catch((err: unknown) => {
  process.stderr.write(`jarvis-mcp: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
