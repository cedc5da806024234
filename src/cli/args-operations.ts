import { z } from 'zod';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../common/firewall-protocol';
import { check, connection, countSchema, noMoreArguments, type Connection, type Values } from './args-common';
import type { Invocation } from './args';
import { UsageError } from './errors';

/** The ledger's groupings (ai-router/cost-ledger.ts). */
export const COST_GROUPINGS = ['day', 'model', 'caller'] as const;
export type CostGrouping = (typeof COST_GROUPINGS)[number];

export type OperationsCommand =
  | { kind: 'approvals-list'; connection: Connection; json: boolean; status?: ApprovalStatus; limit?: number }
  | { kind: 'approvals-get'; connection: Connection; json: boolean; id: string }
  | { kind: 'approvals-decide'; connection: Connection; json: boolean; id: string; verb: 'approve' | 'deny'; reason?: string }
  | { kind: 'costs'; connection: Connection; json: boolean; groupBy: CostGrouping; from?: string; to?: string }
  | { kind: 'memory-recall'; connection: Connection; json: boolean; query: string; k?: number; userId?: string; type?: string }
  | { kind: 'memory-remember'; connection: Connection; json: boolean; text: string; userId?: string; type?: string };

const approvalIdSchema = z.string().trim().regex(/^apr_[0-9a-f-]{36}$/, 'must be an approval id (apr_ followed by a UUID) as shown by `jarvis approvals list`');
const reasonSchema = z.string().trim().min(1, 'must not be empty').max(1_000, 'must be at most 1000 characters');
const dateSchema = z.iso.date({ message: 'must be a date such as 2026-01-31' });
const userIdSchema = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const memoryTypeSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a lowercase type such as note, fact or preference');

export function parseApprovals(inv: Invocation): OperationsCommand {
  const { topic, rest, values, json } = inv;
  if (inv.sub === 'list') {
    noMoreArguments(rest, 0, topic);
    const status = values.status === undefined ? undefined : check(z.enum(APPROVAL_STATUSES, { message: `must be one of: ${APPROVAL_STATUSES.join(', ')}` }), values.status, '--status', topic);
    const limit = values.limit === undefined ? undefined : check(countSchema(1, 500), values.limit, '--limit', topic);
    return { kind: 'approvals-list', connection: inv.connection(), json, status, limit };
  }
  if (rest.length === 0) throw new UsageError('Missing the approval id', topic);
  noMoreArguments(rest, 1, topic, inv.sub === 'get' ? '' : ' (quote a reason with spaces: --reason "...")');
  const id = check(approvalIdSchema, rest[0], 'ID', topic);
  if (inv.sub === 'get') return { kind: 'approvals-get', connection: inv.connection(), json, id };
  const verb = inv.sub === 'approve' ? 'approve' : 'deny';
  // A denial is read by whoever asked: it must say why.
  if (verb === 'deny' && values.reason === undefined) throw new UsageError('Missing --reason TEXT: say why the command is denied', topic);
  const reason = values.reason === undefined ? undefined : check(reasonSchema, values.reason, '--reason', topic);
  return { kind: 'approvals-decide', connection: inv.connection(), json, id, verb, reason };
}

/** `jarvis costs` has no subcommand; its options were checked by the caller. */
export function parseCosts(positionals: string[], values: Values, env: NodeJS.ProcessEnv): OperationsCommand {
  const topic = 'costs';
  noMoreArguments(positionals, 0, topic);
  const groupBy = values.by === undefined ? 'day' : check(z.enum(COST_GROUPINGS, { message: `must be one of: ${COST_GROUPINGS.join(', ')}` }), values.by, '--by', topic);
  const from = values.from === undefined ? undefined : check(dateSchema, values.from, '--from', topic);
  const to = values.to === undefined ? undefined : check(dateSchema, values.to, '--to', topic);
  if (from && to && to < from) throw new UsageError('--to must not be before --from', topic);
  return { kind: 'costs', connection: connection(values, env, topic), json: values.json ?? false, groupBy, from, to };
}

export function parseMemory(inv: Invocation): OperationsCommand {
  const { topic, rest, values, json } = inv;
  const userId = values.user === undefined ? undefined : check(userIdSchema, values.user, '--user', topic);
  const type = values.type === undefined ? undefined : check(memoryTypeSchema, values.type, '--type', topic);
  // The words after the subcommand, so `jarvis memory recall how loud for spotify` needs no quotes.
  const words = rest.join(' ').trim();
  if (inv.sub === 'recall') {
    if (!words) throw new UsageError('Missing the QUERY: what to recall, in words', topic);
    const query = check(z.string().max(2_000, 'must be at most 2000 characters'), words, 'QUERY', topic);
    const k = values.k === undefined ? undefined : check(countSchema(1, 50), values.k, '--k', topic);
    return { kind: 'memory-recall', connection: inv.connection(), json, query, k, userId, type };
  }
  if (!words) throw new UsageError('Missing the TEXT to remember', topic);
  const text = check(z.string().max(20_000, 'must be at most 20000 characters'), words, 'TEXT', topic);
  return { kind: 'memory-remember', connection: inv.connection(), json, text, userId, type };
}
