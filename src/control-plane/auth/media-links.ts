import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal';

/**
 * GET paths a link may be made for: the routes that stream a file to a player. A browser's
 * <audio> element cannot send an API key, so the dashboard asks for a link instead of
 * downloading a whole song before it can play it.
 */
export const LINKABLE_PATHS: readonly RegExp[] = [/^\/api\/v1\/audio\/files\/[^/?#]+$/, /^\/catalog\/tracks\/[^/?#]+\/stream$/];

/** The query parameter that carries a link's signature. */
export const LINK_PARAM = 'link';

const INTEGRATION_TOKEN_ID = 'integration-token';

export interface MediaLinksOptions {
  /** AI_DAWG_SERVICE_TOKEN; links are signed with a key derived from it (and the integration token). */
  serviceToken: string;
  integrationToken?: string;
  /** How long a link stays valid. Default 1 h: long enough to play and seek through a song. */
  ttlMs?: number;
  now?: () => number;
}

export type LinkCheck = { ok: true; keyId: string } | { ok: false; reason: 'malformed' | 'expired' | 'invalid' };

/**
 * Short-lived links to one file for the key that asked (`?link=<key id>.<expiry>.<HMAC>`): bound
 * to the GET of that exact path, signed with HMAC-SHA256 under a key derived (HKDF) from the
 * configured service and integration tokens, so every instance with the same configuration
 * accepts them and rotating either token ends them. A link is not a credential for anything
 * else, and it is only as good as the key it was made for (a revoked key's links stop working).
 * The access log and audit never record the query string.
 */
export class MediaLinks {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: MediaLinksOptions) {
    const ikm = `${options.serviceToken}\0${options.integrationToken ?? ''}`;
    this.key = Buffer.from(hkdfSync('sha256', ikm, 'jarvis', 'media links v1', 32));
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  static linkable(path: string): boolean {
    return LINKABLE_PATHS.some((p) => p.test(path));
  }

  /** A link to `path` (one of LINKABLE_PATHS) for `principal`, and when it expires. */
  sign(path: string, principal: Principal): { url: string; expiresAt: string } {
    if (!MediaLinks.linkable(path)) throw new RangeError(`no links are made for ${path}`);
    const expires = Math.ceil((this.now() + this.ttlMs) / 1000);
    const keyId = principal.kind === 'integration-token' ? INTEGRATION_TOKEN_ID : principal.id;
    const value = `${keyId}.${expires}.${this.mac(path, keyId, expires).toString('base64url')}`;
    return { url: `${path}?${LINK_PARAM}=${value}`, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** Whether `value` is a valid, unexpired link to `path`, and for which key. Constant-time on the signature. */
  check(path: string, value: string): LinkCheck {
    const match = /^([A-Za-z0-9_-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match || !MediaLinks.linkable(path)) return { ok: false, reason: 'malformed' };
    const [, keyId, expiresText, signature] = match as unknown as [string, string, string, string];
    const expires = Number(expiresText);
    // Compared as text: base64url's last character carries two unused bits, so comparing the
    // decoded bytes would also accept three other spellings of the same signature.
    const given = Buffer.from(signature, 'ascii');
    const expected = Buffer.from(this.mac(path, keyId, expires).toString('base64url'), 'ascii');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    if (expires * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, keyId };
  }

  /** The principal a checked link acts as: the integration token's, or the key's with its current scopes. */
  static principalOf(keyId: string, scopes: Principal['scopes']): Principal {
    return keyId === INTEGRATION_TOKEN_ID ? { kind: 'integration-token', id: INTEGRATION_TOKEN_ID, scopes: [] } : { kind: 'api-key', id: keyId, scopes };
  }

  static isIntegrationToken(keyId: string): boolean {
    return keyId === INTEGRATION_TOKEN_ID;
  }

  private mac(path: string, keyId: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`GET\n${path}\n${keyId}\n${expires}`).digest();
  }
}
