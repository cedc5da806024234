import axios from 'axios';
import type { HealthCheckSpec } from './targets';

export interface HealthAttempt {
  attempt: number;
  status?: number;
  error?: string;
  latencyMs: number;
  /** The version the service reported, when the check reads one. */
  reportedVersion?: string;
}

export interface HealthReport {
  url: string;
  healthy: boolean;
  attempts: HealthAttempt[];
  reason?: string;
}

const { round } = Math;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls a health URL until it answers an expected status (and, when the target says so,
 * reports the version just deployed), or the attempts run out. GET only, no redirects, no
 * proxy, each attempt with its own timeout.
 */
export async function checkHealth(spec: HealthCheckSpec, url: string, expectedVersion: string | undefined, signal: AbortSignal): Promise<HealthReport> {
  const attempts: HealthAttempt[] = [];
  let reason = 'no attempt was made';
  for (let attempt = 1; attempt <= spec.attempts; attempt++) {
    if (attempt > 1) await abortableSleep(spec.intervalMs, signal);
    const started = performance.now();
    try {
      const res = await axios.get(url, { timeout: spec.timeoutMs, signal, validateStatus: () => true, maxRedirects: 0, proxy: false, maxContentLength: 1 << 20, responseType: 'json' });
      const record: HealthAttempt = { attempt, status: res.status, latencyMs: round(performance.now() - started) };
      if (spec.versionField) {
        const value = (res.data as Record<string, unknown> | null)?.[spec.versionField];
        if (typeof value === 'string' || typeof value === 'number') record.reportedVersion = String(value);
      }
      attempts.push(record);
      if (!spec.expectStatus.includes(res.status)) {
        reason = `answered HTTP ${res.status}, expected ${spec.expectStatus.join(' or ')}`;
        continue;
      }
      if (spec.versionField && expectedVersion !== undefined && record.reportedVersion !== expectedVersion) {
        reason = `reports ${spec.versionField}=${record.reportedVersion ?? '(none)'}, expected ${expectedVersion}`;
        continue;
      }
      return { url, healthy: true, attempts };
    } catch (err) {
      if (signal.aborted) throw signal.reason as Error;
      const code = axios.isAxiosError(err) ? (err.code ?? err.message) : String(err);
      attempts.push({ attempt, error: code, latencyMs: round(performance.now() - started) });
      reason = `unreachable (${code})`;
    }
  }
  return { url, healthy: false, attempts, reason: `${url} ${reason} after ${spec.attempts} attempt(s)` };
}

export { abortableSleep };
