import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TASK_PRIORITIES, type TaskPriority } from '../control-plane/agents/types';
import { check, noMoreArguments, type Connection } from './args-common';
import type { Invocation } from './args';
import { UsageError } from './errors';

/** How a command that waits for a task behaves. */
export interface WaitMode {
  wait: boolean;
  /** Ctrl-C while waiting also cancels the task (by default it only stops waiting). */
  cancelOnInterrupt: boolean;
}

export type TaskCommand =
  | ({ kind: 'task-submit'; connection: Connection; json: boolean; agent: string; taskType: string; payload: Record<string, unknown>; priority?: TaskPriority } & WaitMode)
  | ({ kind: 'task-get'; connection: Connection; json: boolean; id: string } & WaitMode)
  | { kind: 'task-cancel'; connection: Connection; json: boolean; agent?: string; id: string };

/** The server's own rules (agent-schemas.ts), checked here so a typo costs no request. */
export const agentNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'must be an agent name such as QualityAssurance (see `jarvis agents`)');
const taskTypeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a capability name such as system-health-check (see `jarvis agents`)');
export const taskIdSchema = z.string().trim().regex(/^tsk_[0-9a-f-]{36}$/, 'must be a task id (tsk_ followed by a UUID) as printed by `jarvis task submit`');
const prioritySchema = z.enum(TASK_PRIORITIES, { message: `must be one of: ${TASK_PRIORITIES.join(', ')}` });
const payloadSchema = z.record(z.string(), z.unknown(), { message: 'must be a JSON object such as {"projectId":"p_1"}' });

/** The JSON body limit the control plane applies by default (JSON_BODY_LIMIT=1mb). */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

export function parseTask(inv: Invocation): TaskCommand {
  const { topic, rest, values, json } = inv;
  switch (inv.sub) {
    case 'submit': {
      if (rest.length < 2) throw new UsageError(rest.length === 0 ? 'Missing AGENT and TASK_TYPE' : 'Missing TASK_TYPE', topic);
      noMoreArguments(rest, 2, topic, ' (give the payload with --payload or --payload-file)');
      const agent = check(agentNameSchema, rest[0], 'AGENT', topic);
      const taskType = check(taskTypeSchema, rest[1], 'TASK_TYPE', topic);
      const payload = readPayload(values.payload, values['payload-file'], topic);
      const priority = values.priority === undefined ? undefined : check(prioritySchema, values.priority, '--priority', topic);
      return { kind: 'task-submit', connection: inv.connection(), json, agent, taskType, payload, priority, ...waitMode(inv) };
    }
    case 'get': {
      if (rest.length === 0) throw new UsageError('Missing the task id', topic);
      noMoreArguments(rest, 1, topic);
      return { kind: 'task-get', connection: inv.connection(), json, id: check(taskIdSchema, rest[0], 'TASK_ID', topic), ...waitMode(inv) };
    }
    default: {
      if (rest.length === 0) throw new UsageError('Missing the task id', topic);
      noMoreArguments(rest, 2, topic);
      // `task cancel ID` finds the agent itself; `task cancel AGENT ID` saves that lookup.
      const [agentArg, idArg] = rest.length === 2 ? [rest[0], rest[1]] : [undefined, rest[0]];
      const agent = agentArg === undefined ? undefined : check(agentNameSchema, agentArg, 'AGENT', topic);
      return { kind: 'task-cancel', connection: inv.connection(), json, agent, id: check(taskIdSchema, idArg, 'TASK_ID', topic) };
    }
  }
}

function waitMode(inv: Invocation): WaitMode {
  const wait = inv.values.wait ?? false;
  const cancelOnInterrupt = inv.values['cancel-on-interrupt'] ?? false;
  if (cancelOnInterrupt && !wait) throw new UsageError('--cancel-on-interrupt only applies with --wait', inv.topic);
  return { wait, cancelOnInterrupt };
}

/** The payload from --payload (inline JSON) or --payload-file (a file, or - for stdin); {} without either. */
function readPayload(inline: string | undefined, file: string | undefined, topic: string): Record<string, unknown> {
  if (inline !== undefined && file !== undefined) throw new UsageError('Give either --payload or --payload-file, not both', topic);
  if (file !== undefined) return parsePayload(readPayloadFile(file, topic), '--payload-file', topic);
  if (inline !== undefined) return parsePayload(inline, '--payload', topic);
  return {};
}

function readPayloadFile(file: string, topic: string): string {
  if (file.trim() === '') throw new UsageError('--payload-file must name a file (or - for standard input)', topic);
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
    throw new UsageError(`--payload-file cannot be read: ${why}`, topic);
  }
  return text;
}

function parsePayload(text: string, label: string, topic: string): Record<string, unknown> {
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new UsageError(`${label} is larger than the control plane accepts (1 MiB)`, topic);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Only the position: JSON.parse's message quotes the input, which may hold anything.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new UsageError(`${label} is not valid JSON${at ? ` (at character ${at})` : ''}: give a JSON object such as {"projectId":"p_1"}`, topic);
  }
  return check(payloadSchema, value, label, topic);
}
