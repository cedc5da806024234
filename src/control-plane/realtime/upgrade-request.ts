import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The one path the hub answers upgrades on. */
export const HUB_PATH = '/ws';

/** Query parameters that look like a credential: refused, since URLs end up in proxy and access logs. */
const CREDENTIAL_PARAMS = new Set(['token', 'access_token', 'apikey', 'api_key', 'api-key', 'key', 'auth', 'authorization', 'bearer', 'jwt', 'secret']);

export interface UpgradeTarget {
  path: string;
  /** A query parameter carries (or claims to carry) a credential. */
  credentialInUrl: boolean;
}

export function upgradeTarget(req: IncomingMessage): UpgradeTarget {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const credentialInUrl = [...url.searchParams.keys()].some((name) => CREDENTIAL_PARAMS.has(name.toLowerCase()));
  return { path: url.pathname, credentialInUrl };
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The credential of the upgrade request, as the HTTP middleware reads it: `Authorization:
 * Bearer <key>` (another scheme, or none, gives '' — refused), else `X-API-Key`; undefined
 * when neither is there (the client then authenticates with its first message).
 */
export function upgradeCredential(req: IncomingMessage): string | undefined {
  const authorization = header(req, 'authorization');
  if (authorization) {
    const [scheme, value] = authorization.split(' ', 2);
    return scheme?.toLowerCase() === 'bearer' && value ? value.trim() : '';
  }
  return header(req, 'x-api-key')?.trim();
}

/** Answers an upgrade that will not become a WebSocket with a plain HTTP status, then closes the socket. */
export function refuseUpgrade(socket: Duplex, status: 404 | 503, text: string): void {
  socket.on('error', () => undefined);
  const body = `${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
