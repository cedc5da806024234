import { MediaLinks } from '../../src/control-plane/auth';

const PATH = '/api/v1/audio/files/f_0c6f7d62-5d2c-4b57-9a43-1f0c6a2c8e11';
const key = { kind: 'api-key', id: '0123456789abcdef', scopes: [] } as const;

function links(now: { t: number }, serviceToken = 's'.repeat(40)) {
  return new MediaLinks({ serviceToken, integrationToken: 'i'.repeat(40), ttlMs: 60_000, now: () => now.t });
}
const valueOf = (url: string) => new URL(url, 'http://x').searchParams.get('link')!;

describe('MediaLinks', () => {
  it('signs a link that checks for that path and key until it expires', () => {
    const clock = { t: Date.UTC(2026, 11, 6) };
    const l = links(clock);
    const { url, expiresAt } = l.sign(PATH, key);
    expect(url.startsWith(`${PATH}?link=0123456789abcdef.`)).toBe(true);
    expect(expiresAt).toBe(new Date(clock.t + 60_000).toISOString());
    expect(l.check(PATH, valueOf(url))).toEqual({ ok: true, keyId: key.id });
    clock.t += 59_000;
    expect(l.check(PATH, valueOf(url)).ok).toBe(true);
    clock.t += 1_000;
    expect(l.check(PATH, valueOf(url))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another path, another key id, a later expiry, a changed signature or another configuration', () => {
    const clock = { t: Date.UTC(2026, 11, 6) };
    const l = links(clock);
    const value = valueOf(l.sign(PATH, key).url);
    const [id, exp, sig] = value.split('.') as [string, string, string];
    expect(l.check('/api/v1/audio/files/f_other', value)).toEqual({ ok: false, reason: 'invalid' });
    expect(l.check(PATH, `fedcba9876543210.${exp}.${sig}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(l.check(PATH, `${id}.${Number(exp) + 3600}.${sig}`)).toEqual({ ok: false, reason: 'invalid' });
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    expect(l.check(PATH, `${id}.${exp}.${flip(sig[0]!)}${sig.slice(1)}`)).toEqual({ ok: false, reason: 'invalid' });
    // The last character's two unused bits: another spelling of the same bytes is refused too.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(sig.at(-1)!);
    const sameBytes = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last ^ 1]!;
    expect(Buffer.from(`${sig.slice(0, -1)}${sameBytes}`, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(l.check(PATH, `${id}.${exp}.${sig.slice(0, -1)}${sameBytes}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(links(clock, 't'.repeat(40)).check(PATH, value)).toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', 'x', `${id}.${exp}`, `${id}.-1.${sig}`, `${id}.${exp}.${sig}=`]) expect(l.check(PATH, bad)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('makes links only for paths that stream a file', () => {
    const l = links({ t: 0 });
    expect(MediaLinks.linkable('/catalog/tracks/trk_1/stream')).toBe(true);
    for (const path of ['/api/v1/audio/files/f_1/meta', '/api/v1/admin/api-keys', '/catalog/tracks/trk_1', `${PATH}?x=1`, '/api/v1/audio/files/']) {
      expect(MediaLinks.linkable(path)).toBe(false);
      expect(() => l.sign(path, key)).toThrow(RangeError);
    }
  });

  it('acts as the integration token for links it made', () => {
    const l = links({ t: 0 });
    const value = valueOf(l.sign(PATH, { kind: 'integration-token', id: 'integration-token', scopes: [] }).url);
    const check = l.check(PATH, value);
    expect(check).toEqual({ ok: true, keyId: 'integration-token' });
    expect(MediaLinks.principalOf('integration-token', ['admin'])).toEqual({ kind: 'integration-token', id: 'integration-token', scopes: [] });
  });
});
