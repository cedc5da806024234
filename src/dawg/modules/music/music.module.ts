import { defineModule, type ModuleDefinition } from '../../sdk';
import { projectActions, type ProjectActionsDeps } from './project-actions';

export type MusicModuleDeps = ProjectActionsDeps;

/**
 * Music production on the audio engine. Today: projects and tracks. The mixing actions of the
 * blueprint (balance-levels, apply-eq, apply-dynamics, spatial-processing, export-mix) are
 * registered only once they run (docs/ARCHITECTURE.md: the manifest lists what really runs).
 */
export function createMusicModule(deps: MusicModuleDeps): ModuleDefinition {
  return defineModule({
    name: 'music',
    description: 'Music projects and tracks on the AI DAWG audio engine',
    version: '0.1.0',
    actions: { ...projectActions(deps) },
  });
}
