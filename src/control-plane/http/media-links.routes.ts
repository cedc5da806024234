import type { RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, UnavailableError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { LINK_PARAM, MediaLinks, type ApiKeyService } from '../auth';
import { recordFailure, type AuthFailureSink } from './auth.middleware';
import { principalOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

const linkBody = z.strictObject({
  path: z
    .string()
    .max(300)
    .refine((p) => MediaLinks.linkable(p), 'must be the path of a stored audio file (/api/v1/audio/files/<id>) or of a catalog track’s stream (/catalog/tracks/<id>/stream), without a query'),
});

const linkResponse = z.object({ url: z.string(), expiresAt: z.string() });

export const mediaLinkRoutes = {
  create: {
    method: 'post',
    path: '/api/v1/media-links',
    operationId: 'createMediaLink',
    summary: 'A short-lived link to stream one audio file without sending a key (for players, e.g. an <audio> element)',
    description:
      'The link (`url`, relative to this server) is valid for GET of that path only, for an hour, and only while the key that asked for it is active; ' +
      'it supports byte ranges like the path itself. Anyone holding it can stream that file until it expires: hand it to a player, not to a log.',
    tier: 'integration',
    tag: 'audio',
    body: linkBody,
    responses: { 200: { description: 'The link', schema: linkResponse }, 400: { description: 'Not a path links are made for' } },
  },
} satisfies Record<string, RouteSpec>;

export function mountMediaLinkRoutes(mount: Mount, deps: { mediaLinks: MediaLinks }): void {
  mount(mediaLinkRoutes.create, (req, res) => {
    const { path } = parseInput(linkBody, req.body, 'body');
    res.json(deps.mediaLinks.sign(path, principalOf(res)!));
  });
}

const REFUSALS = {
  malformed: ['MEDIA_LINK_INVALID', 'The media link is malformed'],
  invalid: ['MEDIA_LINK_INVALID', 'The media link is not valid for this path'],
  expired: ['MEDIA_LINK_EXPIRED', 'The media link has expired: ask for a new one (POST /api/v1/media-links)'],
  revoked: ['MEDIA_LINK_REVOKED', 'The key this media link was made for is revoked'],
} as const;

/**
 * Resolves a media link (`?link=…` on a GET of a linkable path, no other credential) to the
 * principal of the key it was made for, checked as it is now (a revoked key's links fail). A
 * link that does not check out is a 401 with the reason, recorded as an authentication failure.
 */
export function authenticateMediaLink(links: MediaLinks, apiKeys: Pick<ApiKeyService, 'activeScopes'>, failures?: AuthFailureSink): RequestHandler {
  return async (req, res, next) => {
    const value = req.query[LINK_PARAM];
    if (value === undefined || principalOf(res) || (req.method !== 'GET' && req.method !== 'HEAD') || !MediaLinks.linkable(req.path)) return next();
    const check = typeof value === 'string' ? links.check(req.path, value) : ({ ok: false, reason: 'malformed' } as const);
    let refusal: keyof typeof REFUSALS | undefined = check.ok ? undefined : check.reason;
    if (check.ok) {
      if (MediaLinks.isIntegrationToken(check.keyId)) {
        res.locals.principal = MediaLinks.principalOf(check.keyId, []);
      } else {
        let scopes;
        try {
          scopes = await apiKeys.activeScopes(check.keyId);
        } catch (err) {
          return next(new UnavailableError('DATABASE_UNAVAILABLE', 'Credentials cannot be checked right now', undefined, { cause: err }));
        }
        if (scopes) res.locals.principal = MediaLinks.principalOf(check.keyId, scopes);
        else refusal = 'revoked';
      }
    }
    if (!refusal) return next();
    recordFailure(failures, req, res, 'invalid-credential', { details: { reason: `media-link-${refusal}` } });
    const [code, message] = REFUSALS[refusal];
    next(new AppError(401, code, message));
  };
}
