import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { ProviderCall } from './provider-call';
import { ProviderFailedError } from './provider-errors';
import type { GeneratedSong, SongProvider, SongProviderConfig, SongProviderOptions, SongRequest } from './song-provider';
import { SongProviderConfigSchema } from './song-provider';

/**
 * Client for Udio. Udio publishes no public API, so this speaks OUR ASSUMED job format,
 * specified in docs/AI_MODELS.md (submit → poll → download WAV). Any real gateway must be
 * adapted to it, or this file changed to match that gateway.
 */
export interface UdioProviderOptions extends SongProviderOptions {
  http?: AxiosInstance;
}

const SubmitSchema = z.object({ id: z.string().min(1), status: z.enum(['queued', 'running']) });
const JobSchema = z.discriminatedUnion('status', [
  z.object({ id: z.string(), status: z.enum(['queued', 'running']) }),
  z.object({
    id: z.string(),
    status: z.literal('succeeded'),
    result: z.object({ audio_url: z.string().min(1), title: z.string().nullish(), duration_seconds: z.number().nullish() }),
  }),
  z.object({ id: z.string(), status: z.literal('failed'), error: z.object({ code: z.string(), message: z.string() }) }),
]);

export class UdioProvider implements SongProvider {
  readonly name = 'udio' as const;
  private readonly config: SongProviderConfig;
  private readonly http: AxiosInstance;

  constructor(config: SongProviderConfig, private readonly options: UdioProviderOptions = {}) {
    this.config = Object.freeze(SongProviderConfigSchema.parse(config));
    this.http = options.http ?? axios.create();
  }

  async generate(req: SongRequest, signal: AbortSignal): Promise<GeneratedSong> {
    const call = new ProviderCall('udio', this.config, this.options, this.http, signal);
    try {
      const job = await call.json({ method: 'POST', path: '/v1/songs', body: submitBody(req) }, SubmitSchema, 'submit');
      const done = await call.poll(
        () => call.json({ method: 'GET', path: `/v1/songs/${encodeURIComponent(job.id)}` }, JobSchema, 'job'),
        (j) => j.status === 'succeeded' || j.status === 'failed',
      );
      if (done.status === 'failed') {
        throw new ProviderFailedError('udio', call.redact(done.error.message), { providerCode: done.error.code });
      }
      if (done.status !== 'succeeded') throw new Error('unreachable: poll settled on a pending job');
      const audio = await call.downloadWav(done.result.audio_url);
      return {
        provider: 'udio',
        providerTaskId: job.id,
        audio,
        title: done.result.title ?? undefined,
        durationSeconds: done.result.duration_seconds ?? undefined,
      };
    } finally {
      call.dispose();
    }
  }
}

function submitBody(req: SongRequest): Record<string, unknown> {
  return {
    prompt: req.prompt,
    title: req.title,
    lyrics: req.instrumental ? undefined : req.lyrics,
    tags: req.genre ? [req.genre] : [],
    duration_seconds: req.durationSeconds,
    instrumental: req.instrumental,
    output_format: 'wav',
  };
}
