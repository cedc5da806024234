import type { DawgConfig } from '../config';
import type { SongProvider } from './song-provider';
import { SunoProvider } from './suno-provider';
import { UdioProvider } from './udio-provider';

/** The largest song a provider may send (WAV bytes). */
const MAX_SONG_BYTES = 512 * 2 ** 20;

/** The song providers whose keys the environment sets (main.ts registers them with the creative module). */
export function songProvidersFrom(config: DawgConfig['musicProviders']): Partial<Record<'suno' | 'udio', SongProvider>> {
  const { pollIntervalMs, timeoutMs } = config;
  const clientConfig = ({ baseUrl, apiKey }: { baseUrl: string; apiKey: string }) => ({ baseUrl, apiKey, pollIntervalMs, timeoutMs, maxBytes: MAX_SONG_BYTES });
  return {
    ...(config.suno ? { suno: new SunoProvider(clientConfig(config.suno), { allowedAudioOrigins: config.suno.audioOrigins }) } : {}),
    ...(config.udio ? { udio: new UdioProvider(clientConfig(config.udio), { allowedAudioOrigins: config.udio.audioOrigins }) } : {}),
  };
}
