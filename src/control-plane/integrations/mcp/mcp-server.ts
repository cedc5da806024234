import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Logger } from '../../../common/logger';
import { VERSION } from '../../../common/version';
import { executeModuleActionTool, getJobTool, listAgentsTool, queueAgentTaskTool } from './agent-tools';
import { chatTool, getBudgetTool, getCostsTool, recallTool, rememberTool } from './ai-memory-tools';
import type { ControlPlaneClient } from './control-plane-client';
import { decideApprovalTool, listApprovalsTool, runCommandTool } from './firewall-tools';
import { getCatalogTrackTool, produceTrackTool } from './production-tools';
import { registerJarvisResources } from './resources';
import { getSuggestionChannelsTool, getSuggestionsTool, verifyAuditTool } from './suggestion-tools';
import { registerJarvisTool, type JarvisTool } from './tool-definition';

/** Every tool the MCP server offers, in the order clients list them. */
export const JARVIS_TOOLS: readonly JarvisTool[] = [
  listAgentsTool,
  queueAgentTaskTool,
  getJobTool,
  executeModuleActionTool,
  chatTool,
  rememberTool,
  recallTool,
  listApprovalsTool,
  decideApprovalTool,
  runCommandTool,
  getCostsTool,
  getBudgetTool,
  getSuggestionsTool,
  getSuggestionChannelsTool,
  verifyAuditTool,
  produceTrackTool,
  getCatalogTrackTool,
] as readonly JarvisTool[];

export interface JarvisMcpServerDeps {
  client: ControlPlaneClient;
  logger: Logger;
}

const INSTRUCTIONS =
  'Jarvis is an AI control plane. Agents do long work as jobs: queue_agent_task answers with a job id at once; follow it with get_job ' +
  '(or the jarvis://jobs/{jobId} resource); produce_track runs a whole music production as one job. Commands run only through the terminal firewall (run_command); held ones wait for decide_approval by another admin key.';

/**
 * The Jarvis MCP server, transport-free: tools and resources over the control plane's HTTP API.
 * The caller connects it (stdio in main.ts; tests may use an in-memory transport).
 */
export function createJarvisMcpServer(deps: JarvisMcpServerDeps): McpServer {
  const server = new McpServer({ name: 'jarvis', title: 'Jarvis control plane', version: VERSION }, { instructions: INSTRUCTIONS });
  for (const tool of JARVIS_TOOLS) registerJarvisTool(server, tool, deps);
  registerJarvisResources(server, deps);
  return server;
}
