import type { z } from 'zod';
import { ProviderError, type ProviderName } from '../provider-types';

/**
 * Validates a 2xx body (or one streamed event) against the documented shape. A mismatch is
 * `bad_response` naming the first offending field, so a changed API is diagnosable from the log.
 */
export function parseAnswer<S extends z.ZodType>(provider: ProviderName, what: string, schema: S, text: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderError(provider, 'bad_response', `${provider} ${what}: body is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
  throw new ProviderError(provider, 'bad_response', `${provider} ${what}: field "${field}": ${issue?.message ?? 'invalid'}`);
}
