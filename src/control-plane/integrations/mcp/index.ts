/** The Jarvis MCP server: tools and resources over the control plane's HTTP API (entry: main.ts). */
export { ControlPlaneClient, mapOutcome, type CallFailure, type CallOptions, type CallOutcome, type ControlPlaneClientOptions } from './control-plane-client';
export { DEFAULT_JARVIS_URL, loadMcpConfig, type McpConfig } from './mcp-config';
export { createJarvisMcpServer, JARVIS_TOOLS, type JarvisMcpServerDeps } from './mcp-server';
export { registerJarvisResources } from './resources';
export { defineTool, failureResult, registerJarvisTool, successResult, type JarvisTool, type ToolContext } from './tool-definition';
