import { z } from 'zod';
import { auditVerifySchema } from '../../http/audit-schemas';
import { channelsSchema, suggestionSchema } from '../../http/suggestions.routes';
import { defineTool } from './tool-definition';

const suggestionsOutput = z.object({ suggestions: z.array(suggestionSchema) });

export const getSuggestionsTool = defineTool({
  name: 'get_suggestions',
  title: 'Proactive suggestions',
  description:
    'What the proactive system found worth attention now, most severe first, each with the measured signal and what to do: AI budget burn, repeated task failures, ' +
    'approvals about to expire, open circuit breakers, schedules that stopped firing, firing alerts and breached SLOs. A key without admin sees those about its own work and budget.',
  input: z.strictObject({}),
  output: suggestionsOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client, signal }) => client.call('GET', '/api/v1/suggestions', suggestionsOutput, { signal }),
  summary: ({ suggestions }) =>
    suggestions.length
      ? [`${suggestions.length} active suggestion${suggestions.length === 1 ? '' : 's'}:`, ...suggestions.map((s) => `- [${s.severity}] ${s.title}: ${s.message} → ${s.action}${s.muted ? ` (muted: dismissed ${s.muted.dismissals} times lately, no longer pushed to this key)` : ''}`)].join('\n')
      : 'No active suggestions.',
});

export const getSuggestionChannelsTool = defineTool({
  name: 'get_suggestion_channels',
  title: 'Where suggestions are sent',
  description:
    'The channels the proactive system sends suggestions to besides the dashboard (a webhook: JSON, Slack or PagerDuty; e-mail): whether each is configured, where it sends, ' +
    'from which severity, and whether it works (deliveries by every control plane on this database, the last failure, where and why). Needs an admin key.',
  input: z.strictObject({}),
  output: channelsSchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client, signal }) => client.call('GET', '/api/v1/suggestions/channels', channelsSchema, { signal }),
  summary: ({ channels }) =>
    channels
      .map((c) => {
        if (!c.configured) return `${c.channel}: not configured`;
        const state = c.failing ? `FAILING (${c.lastFailure?.reason ?? 'last delivery failed'})` : 'working';
        return `${c.channel}: ${state}; ${c.since ? `${c.delivered} delivered, ${c.failed} failed since ${c.since}` : 'nothing sent yet'}`;
      })
      .join('\n'),
});

export const verifyAuditTool = defineTool({
  name: 'verify_audit_log',
  title: 'Verify the audit log',
  description:
    "Recomputes the audit log's hash chain and, where the control plane keeps a copy outside the database (the Redis mirror, AUDIT_WITNESS_FILE), checks that its newest " +
    'entries are still there unchanged; names the first entry that was edited, deleted or cut off. Needs an admin key.',
  input: z.strictObject({}),
  output: auditVerifySchema,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client, signal }) => client.call('POST', '/api/v1/audit/verify', auditVerifySchema, { signal }),
  summary: (r) => {
    const copies = [r.mirror && `Redis mirror: ${r.mirror.unavailable ? `not read (${r.mirror.unavailable})` : `${r.mirror.compared} compared`}`, r.witness && `witness file: ${r.witness.unavailable ? `not read (${r.witness.unavailable})` : `${r.witness.compared} compared`}`].filter(Boolean);
    const also = copies.length ? ` (${copies.join('; ')})` : ' (only the chain: no copy outside the database to compare)';
    return r.ok ? `Audit log intact: ${r.checked} entries verified${also}.` : `Audit log BROKEN after ${r.checked} entries: entry ${r.firstBroken?.seq}: ${r.firstBroken?.reason}${also}.`;
  },
});
