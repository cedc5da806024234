import { z } from 'zod';

/** What the creative module asks a song generator for. */
export interface SongRequest {
  prompt: string;
  title?: string;
  lyrics?: string;
  genre?: string;
  durationSeconds: number;
  instrumental: boolean;
}

/** One finished song, already downloaded and checked to be a WAV file. */
export interface GeneratedSong {
  provider: 'suno' | 'udio';
  providerTaskId: string;
  /** WAV bytes (RIFF/WAVE magic verified). */
  audio: Buffer;
  title?: string;
  durationSeconds?: number;
}

/** A remote song generator. Implementations submit a job, poll it and download the WAV. */
export interface SongProvider {
  readonly name: 'suno' | 'udio';
  generate(req: SongRequest, signal: AbortSignal): Promise<GeneratedSong>;
}

/** The slice of config each provider receives (built from SUNO_* / UDIO_* env by the composition root). */
export const SongProviderConfigSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1),
  /** Wait between two status polls. */
  pollIntervalMs: z.number().int().min(1).max(600_000),
  /** Overall deadline for one `generate` call: submit, every poll and the download. */
  timeoutMs: z.number().int().min(1).max(3_600_000),
  /** Largest WAV we accept from the provider. */
  maxBytes: z.number().int().min(44).max(2 ** 31 - 1),
});
export type SongProviderConfig = z.infer<typeof SongProviderConfigSchema>;

/** Optional wiring shared by both clients; defaults suit production. */
export interface SongProviderOptions {
  /**
   * Extra origins (e.g. `https://cdn1.suno.ai`) audio may be downloaded from. The base URL's
   * origin is always allowed; anything else is refused so a provider answer cannot make us
   * fetch an internal address (SSRF).
   */
  allowedAudioOrigins?: readonly string[];
  /** Cap for a single HTTP request; the overall deadline still applies. Default 30 s. */
  requestTimeoutMs?: number;
}
