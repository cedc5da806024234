export { ApiKeyService, type ApiKeyInfo, type CreatedApiKey, type ApiKeyServiceOptions } from './api-key-service';
export { LINK_PARAM, MediaLinks, type LinkCheck, type MediaLinksOptions } from './media-links';
export { API_KEY_SCOPES, checkTier, type ApiKeyScope, type Principal, type Tier, type TierCheck } from './principal';
