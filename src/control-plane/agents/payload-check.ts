import { InvalidError } from '../../common/errors';
import { fieldError, fieldIssues } from '../../common/validation';
import type { AgentRegistry } from './agent-registry';
import { storableJson } from './task-store';
import type { CapabilitySpec } from './types';

/**
 * The capability named by a request body's `agent` and `taskType` fields (a workflow step, a
 * schedule): a 400 naming `<at>.agent` or `<at>.taskType` when either does not exist.
 */
export function resolveCapability(registry: AgentRegistry, agentName: string, taskType: string, at: string): CapabilitySpec {
  const agent = registry.get(agentName);
  if (!agent) throw fieldError(`${at}.agent`, `unknown agent "${agentName}"`, { agents: registry.names() });
  const cap = agent.capability(taskType);
  if (!cap) throw fieldError(`${at}.taskType`, `${agentName} has no task type "${taskType}"`, { validTaskTypes: agent.capabilityNames });
  return cap;
}

/**
 * A payload checked against its capability's schema (400 naming each field under `field`) and
 * storable as jsonb. Fields in `later` are filled in afterwards (workflow inputs): their
 * issues are left for then, and the payload is returned as given rather than parsed.
 */
export function checkPayload(cap: CapabilitySpec, payload: unknown, field: string, later: ReadonlySet<string> = new Set()): unknown {
  const parsed = cap.payload.safeParse(payload);
  const issues = parsed.success ? [] : fieldIssues(parsed.error.issues.filter((x) => !later.has(String(x.path[0]))), field);
  if (issues.length) throw new InvalidError(`Invalid body: ${issues.map((x) => `${x.field}: ${x.message}`).join('; ')}`, { issues });
  const result: unknown = parsed.success && !later.size ? parsed.data : payload;
  const storable = storableJson(result);
  if (!storable.ok) throw fieldError(field, storable.reason);
  return result;
}
