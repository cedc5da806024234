import { defineModule, type ModuleDefinition } from '../../sdk';
import { mixActions, type MixActionsDeps } from './mix-actions';
import { projectActions, type ProjectActionsDeps } from './project-actions';

export type MusicModuleDeps = ProjectActionsDeps & MixActionsDeps;

/**
 * Music production on the audio engine: projects and tracks, and the blueprint's mixing
 * actions (balance-levels, apply-eq, apply-dynamics, spatial-processing, export-mix), which
 * render the project and report measured figures.
 */
export function createMusicModule(deps: MusicModuleDeps): ModuleDefinition {
  return defineModule({
    name: 'music',
    description: 'Music projects and tracks on the AI DAWG audio engine',
    version: '0.1.0',
    actions: { ...projectActions(deps), ...mixActions(deps) },
  });
}
