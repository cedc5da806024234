import { NotFoundError } from '../../common/errors';
import type { BaseAgent } from './base-agent';
import type { AgentCapability } from './types';

const AGENT_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The agents of one control plane, built in the composition root (no module-level singleton). */
export class AgentRegistry {
  private readonly agents = new Map<string, BaseAgent>();

  constructor(agents: readonly BaseAgent[] = []) {
    for (const agent of agents) this.register(agent);
  }

  register(agent: BaseAgent): void {
    if (!AGENT_NAME.test(agent.name)) throw new Error(`Invalid agent name "${agent.name}"`);
    if (this.agents.has(agent.name)) throw new Error(`Agent ${agent.name} is registered twice`);
    this.agents.set(agent.name, agent);
  }

  get(name: string): BaseAgent | undefined {
    return this.agents.get(name);
  }

  /** The agent, or a 404 listing the agents that exist. */
  require(name: string): BaseAgent {
    const agent = this.agents.get(name);
    if (!agent) throw new NotFoundError(`Agent not found: ${name}`, { agents: this.names() }, 'AGENT_NOT_FOUND');
    return agent;
  }

  findAgentForTask(taskType: string): BaseAgent | undefined {
    for (const agent of this.agents.values()) if (agent.canHandle(taskType)) return agent;
    return undefined;
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  list(): Array<{ name: string; description: string; capabilities: AgentCapability[] }> {
    return [...this.agents.values()].map((a) => ({ name: a.name, description: a.description, capabilities: a.getCapabilities() }));
  }
}
