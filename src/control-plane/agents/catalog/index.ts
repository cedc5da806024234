import type { BaseAgent } from '../base-agent';
import { createCreativeDirectorAgent } from './creative-director.agent';
import { createDataScientistAgent } from './data-scientist.agent';
import { createDevOpsEngineerAgent } from './devops-engineer.agent';
import { createMarketingStrategistAgent } from './marketing-strategist.agent';
import { createMixingEngineerAgent } from './mixing-engineer.agent';
import { createQualityAssuranceAgent } from './quality-assurance.agent';

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
