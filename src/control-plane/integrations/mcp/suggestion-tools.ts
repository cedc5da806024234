import { z } from 'zod';
import { suggestionSchema } from '../../http/suggestions.routes';
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
