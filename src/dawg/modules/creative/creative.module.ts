import { defineModule, LONG_ACTION_MS, type ModuleDefinition } from '../../sdk';
import type { AudioWorkerPool } from '../../audio/worker';
import type { SongProvider } from '../../providers';
import type { FileStore, ProjectStore } from '../../storage';
import { generateAudioAction } from './generate-audio.action';
import { masterTrackAction } from './master-track.action';
import { mixTracksAction } from './mix-tracks.action';
import { songConceptAction } from './song-concept.action';

export interface CreativeModuleDeps {
  files: FileStore;
  projects: ProjectStore;
  /** Renders, masters and measures off the event loop (or inline when built with 0 workers). */
  audio: AudioWorkerPool;
  /** Configured song-generation providers (SUNO_API_KEY, UDIO_API_KEY + UDIO_API_URL). */
  providers?: Partial<Record<'suno' | 'udio', SongProvider>>;
}

/**
 * Creative production: song generation (the offline `local` composer, or Suno/Udio when
 * configured), mixing stems, and mastering.
 */
export function createCreativeModule(deps: CreativeModuleDeps): ModuleDefinition {
  return defineModule({
    name: 'creative',
    description: 'Creative production on the AI DAWG audio engine: song concepts, song generation, mixing stems and mastering to streaming loudness targets',
    version: '0.2.0',
    actions: {
      'song-concept': songConceptAction(),
      // A remote provider takes minutes (MUSIC_PROVIDER_TIMEOUT_MS); mixing and mastering a long track, tens of seconds.
      'generate-audio': { ...generateAudioAction(deps), timeoutMs: LONG_ACTION_MS },
      'mix-tracks': { ...mixTracksAction(deps), timeoutMs: LONG_ACTION_MS },
      'master-track': { ...masterTrackAction(deps), timeoutMs: 290_000 },
    },
  });
}
