import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Logger } from '../../../common/logger';
import type { CallFailure, CallOutcome, ControlPlaneClient } from './control-plane-client';

/** What a tool's `run` gets besides its arguments. */
export interface ToolContext {
  client: ControlPlaneClient;
  /** Cancelled when the MCP client cancels the call. */
  signal: AbortSignal;
}

/**
 * One MCP tool over one control-plane route: zod input and output schemas (the route's own
 * where they fit), hints for the client, and the call. `run` returns the route's outcome;
 * registration turns it into the MCP result, so no tool builds results or catches errors.
 */
export interface JarvisTool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /**
   * The control plane names fields by where they travel (`body.taskType`, `params.name`,
   * `query.q`); this maps the ones that differ from the tool's argument names.
   */
  fields?: Record<string, string>;
  run(args: z.output<I>, context: ToolContext): Promise<CallOutcome<z.output<O>>>;
  /** One line for the text content, e.g. "6 agents: MixingEngineer, ...". */
  summary(data: z.output<O>): string;
}

/** Keeps each tool's argument and result types tied to its schemas. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(tool: JarvisTool<I, O>): JarvisTool<I, O> {
  return tool;
}

/**
 * Clients that show only `content` to the model (older Claude Desktop builds among them) still
 * get the data: the summary, then the JSON, cut at this many characters.
 */
const MAX_JSON_CHARS = 60_000;

export function successResult(summary: string, data: Record<string, unknown>): CallToolResult {
  let json = JSON.stringify(data, null, 2);
  if (json.length > MAX_JSON_CHARS) json = `${json.slice(0, MAX_JSON_CHARS)}\n… (cut at ${MAX_JSON_CHARS} characters; structuredContent holds all of it)`;
  return { content: [{ type: 'text', text: `${summary}\n\n${json}` }], structuredContent: data };
}

interface FieldIssue {
  field: string;
  message: string;
}

function issuesOf(details: unknown): FieldIssue[] {
  const issues = (details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((i): i is FieldIssue => typeof i?.field === 'string' && typeof i?.message === 'string');
}

/**
 * `body.payload.projectId` → `payload.projectId`; path parameters (`params.name`) only through
 * the tool's map, since `params.*` is also a module action's own params field.
 */
function toolField(field: string, fields: Record<string, string>): string {
  for (const [from, to] of Object.entries(fields)) {
    if (field === from || field.startsWith(`${from}.`)) return to + field.slice(from.length);
  }
  return field.replace(/^(body|query)\./, '');
}

/** A failure as an MCP tool error: code, status, message, the offending fields and a hint. Never the key. */
export function failureResult(failure: CallFailure, fields: Record<string, string> = {}): CallToolResult {
  const lines = [`${failure.code}${failure.status ? ` (HTTP ${failure.status})` : ''}: ${failure.message}`];
  const issues = issuesOf(failure.details);
  for (const issue of issues) lines.push(`- ${toolField(issue.field, fields)}: ${issue.message}`);
  const rest = failure.details && typeof failure.details === 'object' ? Object.fromEntries(Object.entries(failure.details).filter(([k]) => k !== 'issues')) : failure.details;
  if (rest !== undefined && (typeof rest !== 'object' || Object.keys(rest as object).length > 0)) {
    const json = JSON.stringify(rest);
    lines.push(`details: ${json.length > 4_000 ? `${json.slice(0, 4_000)}…` : json}`);
  }
  if (failure.hint) lines.push(`hint: ${failure.hint}`);
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}

/**
 * Registers a tool on the MCP server. Arguments arrive validated by the SDK against `input`
 * (a bad one answers an error result naming the field before anything is sent); the outcome
 * is logged (name, result, duration: never the arguments, which may hold secrets) to stderr.
 */
export function registerJarvisTool(server: McpServer, tool: JarvisTool, deps: { client: ControlPlaneClient; logger: Logger }): void {
  server.registerTool(
    tool.name,
    { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { title: tool.title, ...tool.annotations } },
    async (args: Record<string, unknown>, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
      const started = performance.now();
      try {
        const outcome = await tool.run(args, { client: deps.client, signal: extra.signal });
        const durationMs = Math.round(performance.now() - started);
        if (outcome.ok) {
          deps.logger.info('tool call', { tool: tool.name, ok: true, durationMs });
          return successResult(tool.summary(outcome.data), outcome.data);
        }
        const { code, status } = outcome.failure;
        deps.logger.warn('tool call failed', { tool: tool.name, ok: false, code, status, durationMs });
        return failureResult(outcome.failure, tool.fields);
      } catch (err) {
        // A bug here, not a failed call (those are outcomes): the cause goes to the log only.
        deps.logger.error('tool call crashed', { tool: tool.name, error: err instanceof Error ? err.message : String(err) });
        return failureResult({ code: 'INTERNAL', message: `The ${tool.name} tool failed inside the MCP server; its stderr log has the cause` });
      }
    },
  );
}
