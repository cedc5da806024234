import type { BaseAgent } from '../base-agent';
import type { CapabilitySpec } from '../types';
import { CREATIVE_DIRECTOR_CAPABILITIES, createCreativeDirectorAgent } from './creative-director.agent';
import { createDataScientistAgent, DATA_SCIENTIST_CAPABILITIES } from './data-scientist.agent';
import { createDevOpsEngineerAgent, DEVOPS_ENGINEER_CAPABILITIES } from './devops-engineer.agent';
import { createMarketingStrategistAgent, MARKETING_STRATEGIST_CAPABILITIES } from './marketing-strategist.agent';
import { createMixingEngineerAgent, MIXING_ENGINEER_CAPABILITIES } from './mixing-engineer.agent';
import { createQualityAssuranceAgent, QUALITY_ASSURANCE_CAPABILITIES } from './quality-assurance.agent';

export {
  createCreativeDirectorAgent,
  createDataScientistAgent,
  createDevOpsEngineerAgent,
  createMarketingStrategistAgent,
  createMixingEngineerAgent,
  createQualityAssuranceAgent,
};

/**
 * The agents a control plane starts with. Fresh instances on each call, so the composition
 * root (or a test) owns them and nothing is shared between registries.
 */
export function createDefaultAgents(): BaseAgent[] {
  return [
    createMixingEngineerAgent(),
    createDataScientistAgent(),
    createDevOpsEngineerAgent(),
    createMarketingStrategistAgent(),
    createCreativeDirectorAgent(),
    createQualityAssuranceAgent(),
  ];
}

/** The catalog's capabilities by agent, for code that needs their schemas without a registry. */
const CATALOG: Record<CatalogAgentName, readonly CapabilitySpec[]> = {
  MixingEngineer: MIXING_ENGINEER_CAPABILITIES,
  DataScientist: DATA_SCIENTIST_CAPABILITIES,
  DevOpsEngineer: DEVOPS_ENGINEER_CAPABILITIES,
  MarketingStrategist: MARKETING_STRATEGIST_CAPABILITIES,
  CreativeDirector: CREATIVE_DIRECTOR_CAPABILITIES,
  QualityAssurance: QUALITY_ASSURANCE_CAPABILITIES,
};

export type CatalogAgentName = 'MixingEngineer' | 'DataScientist' | 'DevOpsEngineer' | 'MarketingStrategist' | 'CreativeDirector' | 'QualityAssurance';

/** A catalog capability's spec (payload schema, estimate), e.g. to document it as a ChatGPT Action; throws on a name the catalog lacks. */
export function catalogCapability(agent: CatalogAgentName, name: string): CapabilitySpec {
  const found = CATALOG[agent].find((c) => c.name === name);
  if (!found) throw new Error(`the agent catalog has no ${agent}.${name}`);
  return found;
}
