import { defineModule, type ModuleDefinition } from '../../sdk';
import type { FileStore, ProjectStore } from '../../storage';
import { generateAudioAction } from './generate-audio.action';
import { masterTrackAction } from './master-track.action';

export interface CreativeModuleDeps {
  files: FileStore;
  projects: ProjectStore;
}

/**
 * Creative production: song generation (the offline `local` composer; Suno and Udio answer
 * 501 until their clients exist) and mastering. mix-tracks is registered once it runs.
 */
export function createCreativeModule(deps: CreativeModuleDeps): ModuleDefinition {
  return defineModule({
    name: 'creative',
    description: 'Creative production on the AI DAWG audio engine: song generation and mastering to streaming loudness targets',
    version: '0.2.0',
    actions: { 'generate-audio': generateAudioAction(deps), 'master-track': masterTrackAction(deps.files) },
  });
}
