/**
 * A Retry-After value in milliseconds: delta-seconds (fractions tolerated) or an HTTP date
 * (RFC 9110 §10.2.3); undefined when absent or unreadable. Both services read providers' 429s with it.
 */
export function retryAfterMs(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
