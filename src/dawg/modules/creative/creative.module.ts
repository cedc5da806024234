import { defineModule, type ModuleDefinition } from '../../sdk';
import type { FileStore } from '../../storage';
import { masterTrackAction } from './master-track.action';

export interface CreativeModuleDeps {
  files: FileStore;
}

/**
 * Creative production. Today: mastering. generate-audio (local composer, Suno, Udio) and
 * mix-tracks are registered once they run.
 */
export function createCreativeModule(deps: CreativeModuleDeps): ModuleDefinition {
  return defineModule({
    name: 'creative',
    description: 'Creative production on the AI DAWG audio engine: mastering to streaming loudness targets',
    version: '0.1.0',
    actions: { 'master-track': masterTrackAction(deps.files) },
  });
}
