import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { ProviderCall, validateAnswer } from './provider-call';
import { ProviderAuthFailedError, ProviderFailedError, ProviderRateLimitedError, ProviderUnavailableError } from './provider-errors';
import type { GeneratedSong, SongProvider, SongProviderConfig, SongProviderOptions, SongRequest } from './song-provider';
import { SongProviderConfigSchema } from './song-provider';

/**
 * Client for the third-party "Suno API" (sunoapi.org / kie.ai wire format; Suno itself has no
 * public API). Flow: generate → poll record-info → convert the first track to WAV → poll the
 * WAV task → download. Field names and statuses are cited in docs/AI_MODELS.md.
 */
export interface SunoProviderOptions extends SongProviderOptions {
  /** Suno model name sent as `model`. Default V4_5. */
  model?: string;
  /** Sent as `callBackUrl`. The docs mark it required; we poll, so it is only sent when set. */
  callbackUrl?: string;
  http?: AxiosInstance;
}

const GENERATING = ['PENDING', 'TEXT_SUCCESS', 'FIRST_SUCCESS'] as const;
const GENERATE_FAILED = ['CREATE_TASK_FAILED', 'GENERATE_AUDIO_FAILED', 'CALLBACK_EXCEPTION', 'SENSITIVE_WORD_ERROR'] as const;
const WAV_FAILED = ['CREATE_TASK_FAILED', 'GENERATE_WAV_FAILED', 'CALLBACK_EXCEPTION'] as const;

const EnvelopeSchema = z.object({ code: z.number().int(), msg: z.string().nullish(), data: z.unknown() });
const TaskIdSchema = z.object({ taskId: z.string().min(1) });
const ErrorFields = { errorCode: z.union([z.number(), z.string()]).nullish(), errorMessage: z.string().nullish() };

const TrackSchema = z.object({ id: z.string().min(1), audioUrl: z.string(), title: z.string().nullish(), duration: z.number().nullish() });
const RecordInfoSchema = z.object({
  taskId: z.string(),
  status: z.enum([...GENERATING, 'SUCCESS', ...GENERATE_FAILED]),
  response: z.object({ sunoData: z.array(TrackSchema).nullish() }).nullish(),
  ...ErrorFields,
});
const WavRecordInfoSchema = z.object({
  taskId: z.string(),
  successFlag: z.enum(['PENDING', 'SUCCESS', ...WAV_FAILED]),
  response: z.object({ audioWavUrl: z.string().nullish() }).nullish(),
  ...ErrorFields,
});

export class SunoProvider implements SongProvider {
  readonly name = 'suno' as const;
  private readonly config: SongProviderConfig;
  private readonly http: AxiosInstance;

  constructor(config: SongProviderConfig, private readonly options: SunoProviderOptions = {}) {
    this.config = Object.freeze(SongProviderConfigSchema.parse(config));
    this.http = options.http ?? axios.create();
  }

  async generate(req: SongRequest, signal: AbortSignal): Promise<GeneratedSong> {
    const call = new ProviderCall('suno', this.config, this.options, this.http, signal);
    try {
      const submitted = await this.request(call, { method: 'POST', path: '/api/v1/generate', body: this.generateBody(req) }, TaskIdSchema, 'generate');
      const record = await call.poll(
        () => this.request(call, { method: 'GET', path: '/api/v1/generate/record-info', params: { taskId: submitted.taskId } }, RecordInfoSchema, 'record-info'),
        (r) => r.status === 'SUCCESS' || isOneOf(GENERATE_FAILED, r.status),
      );
      if (record.status !== 'SUCCESS') throw failed(call, record.status, record.errorMessage);
      // Each request yields two variations; we convert and return the first.
      const tracks = validateAnswer('suno', 'record-info', z.array(TrackSchema).min(1), record.response?.sunoData, 'data.response.sunoData');
      const { id: audioId, title, duration } = tracks[0]!; // min(1) above guarantees it

      const wavTask = await this.request(call, { method: 'POST', path: '/api/v1/wav/generate', body: this.wavBody(submitted.taskId, audioId) }, TaskIdSchema, 'wav/generate');
      const wav = await call.poll(
        () => this.request(call, { method: 'GET', path: '/api/v1/wav/record-info', params: { taskId: wavTask.taskId } }, WavRecordInfoSchema, 'wav/record-info'),
        (r) => r.successFlag !== 'PENDING',
      );
      if (wav.successFlag !== 'SUCCESS') throw failed(call, wav.successFlag, wav.errorMessage);
      const wavUrl = validateAnswer('suno', 'wav/record-info', z.string().min(1), wav.response?.audioWavUrl, 'data.response.audioWavUrl');
      const audio = await call.downloadWav(wavUrl);
      return { provider: 'suno', providerTaskId: submitted.taskId, audio, title: title ?? undefined, durationSeconds: duration ?? undefined };
    } finally {
      call.dispose();
    }
  }

  /**
   * Custom mode so our genre, title and lyrics are used as given: in custom mode `prompt` is
   * the lyrics and `style` the genre description. Suno takes no duration parameter.
   */
  private generateBody(req: SongRequest): Record<string, unknown> {
    return {
      prompt: req.lyrics ?? req.prompt,
      style: req.genre ? `${req.genre}, ${req.prompt}` : req.prompt,
      title: req.title ?? 'Untitled',
      customMode: true,
      instrumental: req.instrumental,
      model: this.options.model ?? 'V4_5',
      ...(this.options.callbackUrl ? { callBackUrl: this.options.callbackUrl } : {}),
    };
  }

  private wavBody(taskId: string, audioId: string): Record<string, unknown> {
    return { taskId, audioId, ...(this.options.callbackUrl ? { callBackUrl: this.options.callbackUrl } : {}) };
  }

  /** The API answers HTTP 200 with its own `code`; anything but 200 is an error we classify. */
  private async request<S extends z.ZodType>(call: ProviderCall, req: Parameters<ProviderCall['json']>[0], data: S, what: string): Promise<z.output<S>> {
    const env = await call.json(req, EnvelopeSchema, what);
    if (env.code !== 200) throw envelopeError(call, env.code, env.msg);
    return validateAnswer('suno', what, data, env.data, 'data');
  }
}

function envelopeError(call: ProviderCall, code: number, msg: string | null | undefined): Error {
  const message = call.redact(msg ?? `code ${code}`);
  if (code === 401 || code === 403) return new ProviderAuthFailedError('suno', code);
  // 405 "rate limit exceeded" and 430 "call frequency too high"; 429 here means "insufficient credits".
  if (code === 405 || code === 430) return new ProviderRateLimitedError('suno');
  if (code === 455 || code >= 500) return new ProviderUnavailableError('suno', message);
  return new ProviderFailedError('suno', message, { providerCode: code });
}

function failed(call: ProviderCall, status: string, errorMessage: string | null | undefined): ProviderFailedError {
  return new ProviderFailedError('suno', call.redact(errorMessage ?? status), { providerStatus: status });
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
