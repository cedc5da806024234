import type { AgentCapability, CapabilitySpec } from './types';

/**
 * An agent: a name and the capabilities it offers (blueprint §2.2.1). Unlike the blueprint's
 * BaseAgent it keeps no tasks itself: tasks live in the database and are run by the
 * TaskService, which looks capabilities up here.
 */
export class BaseAgent {
  private readonly byName: ReadonlyMap<string, CapabilitySpec>;

  constructor(
    readonly name: string,
    readonly description: string,
    capabilities: readonly CapabilitySpec[],
  ) {
    const map = new Map<string, CapabilitySpec>();
    for (const cap of capabilities) {
      if (map.has(cap.name)) throw new Error(`Agent ${name} declares capability ${cap.name} twice`);
      map.set(cap.name, cap);
    }
    this.byName = map;
  }

  getCapabilities(): AgentCapability[] {
    return [...this.byName.values()].map(({ name, description, requiredModules, estimatedDuration }) => ({
      name,
      description,
      requiredModules: [...requiredModules],
      ...(estimatedDuration === undefined ? {} : { estimatedDuration }),
    }));
  }

  canHandle(taskType: string): boolean {
    return this.byName.has(taskType);
  }

  capability(taskType: string): CapabilitySpec | undefined {
    return this.byName.get(taskType);
  }

  get capabilityNames(): string[] {
    return [...this.byName.keys()];
  }
}
