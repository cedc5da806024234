import { z } from 'zod';
import { UnavailableError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { SUGGESTION_KINDS, type ProactiveEngine } from '../proactive';
import { principalOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

/** `<kind>:<subject>`, e.g. monitoring:api-availability. */
export const suggestionIdSchema = z.string().min(1).max(300).regex(/^[a-z-]+:[A-Za-z0-9:._@-]+$/, 'must be a suggestion id such as monitoring:api-availability');
const suggestionParams = z.strictObject({ id: suggestionIdSchema });

export const suggestionSchema = z.object({
  id: z.string(),
  kind: z.enum(SUGGESTION_KINDS),
  severity: z.enum(['info', 'warning', 'critical']),
  title: z.string(),
  message: z.string(),
  action: z.string().describe('What to do about it'),
  signal: z.record(z.string(), z.unknown()).describe('The measured signal that caused it'),
  raisedAt: z.string(),
  updatedAt: z.string(),
});

export const suggestionsRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/suggestions',
    operationId: 'listSuggestions',
    summary: 'The proactive system’s active suggestions, each with the signal that caused it',
    description: 'Budget burn, repeated task failures, approvals near expiry, open breakers, idle schedules. A key without admin sees those about its own work and budget. Most severe first.',
    tier: 'integration',
    tag: 'proactive',
    responses: { 200: { description: 'Active suggestions', schema: z.object({ suggestions: z.array(suggestionSchema) }) }, 503: { description: 'PROACTIVE_ENABLED=false' } },
  },
  dismiss: {
    method: 'post',
    path: '/api/v1/suggestions/:id/dismiss',
    operationId: 'dismissSuggestion',
    summary: 'Hide a suggestion from this key until its signal clears and comes back',
    tier: 'integration',
    tag: 'proactive',
    params: suggestionParams,
    responses: { 200: { description: 'Dismissed', schema: suggestionSchema }, 404: { description: 'No such active suggestion for this key' } },
  },
} satisfies Record<string, RouteSpec>;

function requireEngine(engine: ProactiveEngine | undefined): ProactiveEngine {
  if (!engine) throw new UnavailableError('FEATURE_DISABLED', 'The proactive system is disabled (PROACTIVE_ENABLED=false)');
  return engine;
}

export function mountSuggestionRoutes(mount: Mount, deps: { proactive?: ProactiveEngine }): void {
  mount(suggestionsRoutes.list, async (_req, res) => {
    res.json({ suggestions: await requireEngine(deps.proactive).list(principalOf(res)!) });
  });
  mount(suggestionsRoutes.dismiss, async (req, res) => {
    const { id } = parseInput(suggestionParams, req.params, 'params');
    res.json(await requireEngine(deps.proactive).dismiss(id, principalOf(res)!));
  });
}
