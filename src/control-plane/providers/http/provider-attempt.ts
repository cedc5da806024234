import axios from 'axios';
import { ProviderError, type ProviderName } from '../provider-types';
import { networkError } from './error-mapping';

/**
 * One HTTP attempt: owns the per-attempt timer and follows the caller's AbortSignal, so a
 * failure can be told apart as `timeout` (our timer) or `aborted` (the caller) rather than
 * the generic cancellation axios reports for both.
 */
export class ProviderAttempt {
  private readonly controller = new AbortController();
  private readonly unlink: () => void;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private readonly abortHooks: Array<() => void> = [];

  constructor(
    private readonly provider: ProviderName,
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    const onAbort = () => this.abort();
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => callerSignal?.removeEventListener('abort', onAbort);
    if (callerSignal?.aborted) this.abort();
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Throws `aborted` before any request is sent when the caller has already given up. */
  throwIfAborted(): void {
    if (this.callerSignal?.aborted) throw this.abortedError();
  }

  /**
   * (Re)starts the timer. Non-streaming calls arm it once (whole request); streams re-arm it
   * on every chunk, so `timeoutMs` bounds the wait for the answer and each silence within it,
   * not the length of a long, steadily flowing answer.
   */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort();
    }, this.timeoutMs);
  }

  /** Stops the timer while the consumer holds a streamed event: its slowness is not the provider's. */
  pause(): void {
    clearTimeout(this.timer);
  }

  /** Runs `hook` when the attempt is cancelled (used to destroy a response stream already flowing). */
  onAbort(hook: () => void): void {
    if (this.controller.signal.aborted) hook();
    else this.abortHooks.push(hook);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unlink();
  }

  /**
   * The ProviderError for whatever went wrong. Our own ProviderErrors pass through unless the
   * attempt was cancelled meanwhile; anything else is never wrapped as `cause`, because axios
   * errors hold the request config and with it the API key.
   */
  translate(err: unknown): ProviderError {
    if (this.timedOut) return new ProviderError(this.provider, 'timeout', `${this.provider} did not answer within ${this.timeoutMs} ms`);
    if (this.callerSignal?.aborted) return this.abortedError();
    if (err instanceof ProviderError) return err;
    if (axios.isAxiosError(err)) return networkError(this.provider, err.code);
    const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return networkError(this.provider, code);
  }

  private abortedError(): ProviderError {
    return new ProviderError(this.provider, 'aborted', `${this.provider} call aborted by the caller`);
  }

  private abort(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    for (const hook of this.abortHooks.splice(0)) hook();
  }
}
