import { z } from 'zod';
import { approvalListQuery, approvalParams, approvalSchema, execBody, execResultSchema } from '../../http/firewall-schemas';
import { segment } from './control-plane-client';
import { defineTool } from './tool-definition';

const approvalsOutput = z.object({ approvals: z.array(approvalSchema) });

export const listApprovalsTool = defineTool({
  name: 'list_approvals',
  title: 'List command approvals',
  description: 'Commands the terminal firewall held for a human\'s approval, and their outcomes, newest first. Needs an API key with the devops scope.',
  input: approvalListQuery,
  output: approvalsOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (query, { client, signal }) => client.call('GET', '/api/v1/approvals', approvalsOutput, { query, signal }),
  summary: ({ approvals }) =>
    approvals.length ? `${approvals.length} approvals: ${approvals.map((a) => `${a.id} ${a.status} (${[a.command, ...a.args].join(' ')})`).join('; ')}` : 'No approvals',
});

const decideInput = z.strictObject({
  id: approvalParams.shape.id,
  decision: z.enum(['approve', 'deny']).describe('approve: the command runs now; deny: it never runs'),
  note: z.string().max(1_000).optional().describe('Why, kept on the approval and in the audit log'),
});

export const decideApprovalTool = defineTool({
  name: 'decide_approval',
  title: 'Approve or deny a held command',
  description:
    'Approves (the command then runs) or denies a command held by the terminal firewall. Needs an API key with the admin scope, ' +
    'and not the key that asked for the command. Decided or expired approvals answer 409.',
  input: decideInput,
  output: approvalSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  fields: { 'params.id': 'id' },
  run: ({ id, decision, note }, { client, signal }) =>
    client.call('POST', `/api/v1/approvals/${segment(id)}/${decision}`, approvalSchema, { body: note === undefined ? {} : { note }, signal, long: true }),
  summary: (a) => `Approval ${a.id} is ${a.status}${a.decidedBy ? ` (decided by ${a.decidedBy})` : ''}: ${[a.command, ...a.args].join(' ')}`,
});

export const runCommandTool = defineTool({
  name: 'run_command',
  title: 'Run a command through the terminal firewall',
  description:
    'Runs one whitelisted command (no shell) through the terminal firewall, which checks the command, its arguments, directory and environment against the policy. ' +
    'Refused commands answer COMMAND_DENIED naming the check; commands the policy holds answer status pending-approval with the approval (decide_approval). ' +
    'Needs an API key with the devops scope.',
  input: execBody,
  output: execResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  run: (body, { client, signal }) => client.call('POST', '/api/v1/devops/exec', execResultSchema, { body, signal, long: true }),
  summary: (r) =>
    r.status === 'pending-approval'
      ? `Held for approval ${r.approval?.id ?? '(no id)'}: an admin decides it with decide_approval`
      : `Exit code ${r.result?.exitCode ?? 'none'}${r.result?.timedOut ? ' (timed out)' : ''}${r.result?.truncated ? ', output truncated' : ''}`,
});
