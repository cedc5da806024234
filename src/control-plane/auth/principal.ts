/** Scopes an API key can carry on top of the integration tier every valid credential has. */
export const API_KEY_SCOPES = ['admin', 'devops'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The four tiers of blueprint §4.2, least to most privileged. */
export type Tier = 'public' | 'integration' | 'admin' | 'devops';

export interface Principal {
  kind: 'integration-token' | 'api-key';
  /** Key id for API keys; a fixed label for the shared integration token. Safe to log. */
  id: string;
  scopes: readonly ApiKeyScope[];
}

export type TierCheck = { ok: true } | { ok: false; status: 401 | 403; reason: string };

export function checkTier(tier: Tier, principal: Principal | undefined): TierCheck {
  if (tier === 'public') return { ok: true };
  if (!principal) return { ok: false, status: 401, reason: 'Missing or invalid credentials' };
  if (tier === 'integration') return { ok: true };
  if (principal.scopes.includes(tier)) return { ok: true };
  return { ok: false, status: 403, reason: `This route needs an API key with the "${tier}" scope` };
}
