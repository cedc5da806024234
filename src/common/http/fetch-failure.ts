/** What kind of failure kept fetch from reaching a server, as far as a user can act on it. */
export type FetchFailureKind = 'refused' | 'unknown-host' | 'bad-port' | 'other';

/**
 * Reads a rejected fetch: undici puts the system error (ECONNREFUSED, ENOTFOUND…) in `cause`,
 * and refuses ports the Fetch standard bans with the message "bad port". The clients of the
 * control plane (CLI, MCP server) word their own hints for each kind.
 */
export function fetchFailure(err: unknown): { reason: string; kind: FetchFailureKind } {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  const kind: FetchFailureKind =
    code === 'ECONNREFUSED' ? 'refused' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown-host' : e.cause?.message === 'bad port' ? 'bad-port' : 'other';
  return { reason: code ?? e.cause?.message ?? e.message ?? String(err), kind };
}
