export type { GeneratedSong, SongProvider, SongProviderConfig, SongProviderOptions, SongRequest } from './song-provider';
export { SongProviderConfigSchema } from './song-provider';
export {
  ProviderAuthFailedError,
  ProviderBadResponseError,
  ProviderFailedError,
  ProviderRateLimitedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider-errors';
export { SunoProvider, type SunoProviderOptions } from './suno-provider';
export { UdioProvider, type UdioProviderOptions } from './udio-provider';
export { songProvidersFrom } from './from-config';
