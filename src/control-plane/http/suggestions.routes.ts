import { z } from 'zod';
import { AppError, UnavailableError } from '../../common/errors';
import { parseInput } from '../../common/validation';
import { SEVERITIES, SUGGESTION_KINDS, type ProactiveEngine } from '../proactive';
import { principalOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

/** `<kind>:<subject>`, e.g. monitoring:api-availability. */
export const suggestionIdSchema = z.string().min(1).max(300).regex(/^[a-z-]+:[A-Za-z0-9:._@-]+$/, 'must be a suggestion id such as monitoring:api-availability');
const suggestionParams = z.strictObject({ id: suggestionIdSchema });

const severitySchema = z.enum(SEVERITIES);

export const suggestionSchema = z.object({
  id: z.string(),
  kind: z.enum(SUGGESTION_KINDS),
  severity: severitySchema,
  title: z.string(),
  message: z.string(),
  action: z.string().describe('What to do about it'),
  signal: z.record(z.string(), z.unknown()).describe('The measured signal that caused it'),
  raisedAt: z.string(),
  updatedAt: z.string(),
  muted: z
    .object({ dismissals: z.number().int(), lastDismissedAt: z.string() })
    .optional()
    .describe('Present when this key dismissed the same suggestion so often lately that it is no longer pushed to it (listed still); DELETE /api/v1/suggestions/feedback/{id} undoes it'),
});

export const suggestionFeedbackSchema = z.object({
  muteAfter: z.number().int().describe('Dismissals of one suggestion within the window that stop its pushes to the key (0: learning is off)'),
  windowMs: z.number().int(),
  subjects: z.array(
    z.object({
      id: z.string().describe('The suggestion id the dismissals were of'),
      dismissals: z.number().int(),
      lastDismissedAt: z.string(),
      mostSevere: severitySchema.describe('The most severe level it was dismissed at: it is pushed again when it comes back more severe'),
      muted: z.boolean(),
    }),
  ),
});
export const forgottenSchema = z.object({ id: z.string(), forgotten: z.number().int().describe('Dismissals forgotten') });
const activity = {
  configured: z.literal(true),
  minSeverity: z.enum(SEVERITIES).describe('The least severe suggestion it sends'),
  failing: z.boolean().describe('Its last delivery failed for good (a later reading sends it again); false once one arrives'),
  delivered: z.number().int().describe('Deliveries that arrived since `since`, sent by any control plane on this database'),
  failed: z.number().int().describe('Deliveries that failed for good since `since`, by any control plane on this database'),
  lastDeliveredAt: z.string().nullable(),
  lastFailure: z
    .object({ at: z.string(), event: z.string(), suggestion: z.string(), reason: z.string(), instance: z.string().describe('The control plane that sent it (host:pid)') })
    .nullable(),
  since: z.string().nullable().describe('When the first delivery was recorded (null: none yet)'),
};
export const channelsSchema = z.object({
  channels: z.array(
    z.union([
      z.object({ channel: z.literal('webhook'), ...activity, target: z.string().describe("The URL's host (the rest may be its secret)"), format: z.enum(['json', 'slack', 'pagerduty']), signed: z.boolean().optional() }),
      z.object({ channel: z.literal('email'), ...activity, server: z.string().describe("The SMTP server's host and port"), from: z.string(), recipients: z.array(z.string()) }),
      z.object({ channel: z.enum(['webhook', 'email']), configured: z.literal(false), howTo: z.string() }),
    ]),
  ),
});

export const emailTestSchema = z.object({
  delivered: z.literal(true),
  server: z.string().describe("The SMTP server's host and port (never its credentials)"),
  recipients: z.array(z.string()),
  rejected: z.array(z.string()).optional().describe('Recipients the server refused (the others got the message)'),
  messageId: z.string().optional(),
  ms: z.number().int(),
});
export const webhookTestSchema = z.object({
  delivered: z.literal(true),
  target: z.string().describe("The webhook URL's host (the rest of the URL may be its secret)"),
  status: z.number().int(),
  ms: z.number().int(),
});

export const suggestionsRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/suggestions',
    operationId: 'listSuggestions',
    summary: 'The proactive system’s active suggestions, each with the signal that caused it',
    description:
      'Budget burn, repeated task failures, approvals near expiry, open breakers, idle schedules, firing alerts and breached SLOs. A key without admin sees those about its own work and budget. Most severe first; one this key keeps dismissing is marked `muted` (no longer pushed to it).',
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
  feedback: {
    method: 'get',
    path: '/api/v1/suggestions/feedback',
    operationId: 'listSuggestionFeedback',
    summary: 'What the adaptive engine learned from this key’s dismissals: the suggestions it keeps dismissing and which are no longer pushed to it',
    tier: 'integration',
    tag: 'proactive',
    responses: { 200: { description: 'Dismissals per suggestion within the window, most first', schema: suggestionFeedbackSchema }, 503: { description: 'PROACTIVE_ENABLED=false' } },
  },
  forget: {
    method: 'delete',
    path: '/api/v1/suggestions/feedback/:id',
    operationId: 'forgetSuggestionFeedback',
    summary: 'Forget this key’s dismissals of one suggestion, so it is pushed to the key again',
    tier: 'integration',
    tag: 'proactive',
    params: suggestionParams,
    responses: { 200: { description: 'Forgotten', schema: forgottenSchema }, 404: { description: 'Nothing learned about this suggestion from this key' } },
  },
  webhookTest: {
    method: 'post',
    path: '/api/v1/suggestions/webhook/test',
    operationId: 'testSuggestionWebhook',
    summary: 'Send a test message to the webhook now (one attempt, signed like the suggestions; PagerDuty: an info alert resolved at once) and say what it answered',
    tier: 'admin',
    tag: 'proactive',
    responses: {
      200: { description: 'The webhook answered 2xx', schema: webhookTestSchema },
      409: { description: 'No webhook configured (WEBHOOK_NOT_CONFIGURED)' },
      502: { description: 'The webhook refused it or did not answer (WEBHOOK_FAILED, with its status or the network error)' },
    },
  },
  channels: {
    method: 'get',
    path: '/api/v1/suggestions/channels',
    operationId: 'listSuggestionChannels',
    summary: 'The channels suggestions are sent to besides the dashboard (webhook, e-mail): how each is configured and what it did, as every control plane on this database recorded it',
    tier: 'admin',
    tag: 'proactive',
    responses: { 200: { description: 'Both channels, configured or not', schema: channelsSchema } },
  },
  emailTest: {
    method: 'post',
    path: '/api/v1/suggestions/email/test',
    operationId: 'testSuggestionEmail',
    summary: 'Send a test e-mail to PROACTIVE_EMAIL_TO now (one attempt) and say what the SMTP server answered',
    tier: 'admin',
    tag: 'proactive',
    responses: {
      200: { description: 'The SMTP server took the message for at least one recipient', schema: emailTestSchema },
      409: { description: 'No e-mail configured (EMAIL_NOT_CONFIGURED)' },
      502: { description: 'The SMTP server refused it or did not answer (EMAIL_FAILED, with its reply or the network error; never the credentials)' },
    },
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
  mount(suggestionsRoutes.feedback, async (_req, res) => {
    const engine = requireEngine(deps.proactive);
    res.json({ ...engine.feedback.settings, subjects: await engine.feedback.forKey(principalOf(res)!.id) });
  });
  mount(suggestionsRoutes.webhookTest, async (_req, res) => {
    const webhook = requireEngine(deps.proactive).webhook;
    if (!webhook) throw new AppError(409, 'WEBHOOK_NOT_CONFIGURED', 'No webhook is configured: set PROACTIVE_WEBHOOK_URL (or PROACTIVE_WEBHOOK_FORMAT=pagerduty with PROACTIVE_PAGERDUTY_ROUTING_KEY)');
    const outcome = await webhook.test();
    if (!outcome.delivered) throw new AppError(502, 'WEBHOOK_FAILED', `The webhook at ${outcome.target} did not take the test message: ${outcome.reason}`, outcome);
    res.json(outcome);
  });
  mount(suggestionsRoutes.channels, async (_req, res) => {
    res.json({ channels: await requireEngine(deps.proactive).channels() });
  });
  mount(suggestionsRoutes.emailTest, async (_req, res) => {
    const email = requireEngine(deps.proactive).email;
    if (!email) throw new AppError(409, 'EMAIL_NOT_CONFIGURED', 'No e-mail is configured: set PROACTIVE_EMAIL_TO, SMTP_URL and SMTP_FROM');
    const outcome = await email.test();
    if (!outcome.delivered) throw new AppError(502, 'EMAIL_FAILED', `The SMTP server at ${outcome.server} did not take the test message: ${outcome.reason}`, outcome);
    res.json(outcome);
  });
  mount(suggestionsRoutes.forget, async (req, res) => {
    const { id } = parseInput(suggestionParams, req.params, 'params');
    res.json(await requireEngine(deps.proactive).forget(id, principalOf(res)!));
  });
}
