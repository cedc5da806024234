import type { AiCallRecorded, BudgetAlert } from '../ai-router';
import type { ApiKeyScope, Principal } from '../auth';
import type { Approval } from '../firewall';
import type { DetailedHealth } from '../health';
import type { Suggestion } from '../proactive';

/** Channels with a fixed name; `jobs/<id>` (one task or workflow) is the only parameterised one. */
export const FIXED_CHANNELS = ['tasks', 'approvals', 'costs', 'health', 'suggestions'] as const;
export type FixedChannel = (typeof FIXED_CHANNELS)[number];
export type JobChannel = `jobs/${string}`;
export type Channel = FixedChannel | JobChannel;

/** An approval as clients see it: its environment values stay in the database (they may hold deploy tokens). */
export type PublicApproval = Omit<Approval, 'env'>;

/** A task or workflow state change (the agent system's TaskEvent without its name and time, which the envelope carries). */
export interface TaskEventData {
  jobId: string;
  agent?: string;
  taskType?: string;
  workflowId?: string;
  data?: unknown;
}

/** Names of task events: task.created|queued|started|progress|retrying|completed|failed|cancel_requested|cancelled|requeued, workflow.created|completed|failed|cancelled. */
export type TaskEventName = `task.${string}` | `workflow.${string}`;

/** Every event each kind of channel carries, event name → data. `jobs` is the kind of every `jobs/<id>` channel. */
export interface ChannelEvents {
  tasks: { [E in TaskEventName]: TaskEventData };
  jobs: { [E in TaskEventName]: TaskEventData };
  approvals: { 'approval.requested': PublicApproval; 'approval.decided': PublicApproval; 'approval.expired': PublicApproval };
  costs: { 'ai.call': AiCallRecorded; 'budget.alert': BudgetAlert };
  health: { 'health.summary': DetailedHealth };
  /** The proactive system's suggestions (per instance, like health): raised, updated as the figures move, resolved when the signal clears. */
  suggestions: { 'suggestion.raised': Suggestion; 'suggestion.updated': Suggestion; 'suggestion.resolved': Suggestion };
}
export type ChannelKind = keyof ChannelEvents;

type EventOf<K extends ChannelKind> = {
  [E in keyof ChannelEvents[K] & string]: { kind: K; event: E; data: ChannelEvents[K][E]; at: string };
}[keyof ChannelEvents[K] & string];

/**
 * What instances exchange (in-process, or through a Redis stream): one event of the whole
 * control plane. Health is per instance and never crosses. Task events fan out to `tasks`
 * and to the `jobs/<id>` channels of the task and of its workflow.
 */
export type HubMessage = EventOf<'tasks'> | EventOf<'approvals'> | EventOf<'costs'>;

/** `{type:"event"}` as sent to a client: the channel it subscribed to, the event's name, its data, and when it happened. */
export type EventMessage = {
  [K in ChannelKind]: {
    [E in keyof ChannelEvents[K] & string]: { type: 'event'; channel: K extends 'jobs' ? JobChannel : K; event: E; data: ChannelEvents[K][E]; at: string };
  }[keyof ChannelEvents[K] & string];
}[ChannelKind];

/** Error codes of `{type:"error"}`: the hub's own, plus the service's (APPROVAL_NOT_FOUND, CONFLICT, ...). */
export type HubErrorCode =
  | 'INVALID_MESSAGE'
  | 'INVALID_JSON'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'TOO_MANY_REQUESTS'
  | 'FEATURE_DISABLED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | (string & {});

export type HubOperation = 'subscribe' | 'unsubscribe' | 'approval.decide';

/** Every message the server sends. */
export type ServerMessage =
  | {
      type: 'ready';
      requestId?: string;
      principal: { kind: Principal['kind']; id: string; scopes: readonly ApiKeyScope[] };
      /** The fixed channels this key may subscribe to (plus `jobs/<id>` of its own jobs, or any job for admin). */
      channels: FixedChannel[];
      limits: { heartbeatMs: number; maxBufferedBytes: number; maxMessageBytes: number; maxSubscriptions: number };
    }
  | { type: 'ack'; requestId?: string; op: 'subscribe' | 'unsubscribe'; channel: Channel; subscriptions: Channel[] }
  | { type: 'ack'; requestId?: string; op: 'approval.decide'; approval: PublicApproval }
  | { type: 'error'; requestId?: string; code: HubErrorCode; message: string; field?: string; issues?: Array<{ field: string; message: string }> }
  | { type: 'pong'; requestId?: string; at: string }
  | EventMessage;

/**
 * Close codes the hub uses (1000–1015 are the protocol's; 4000–4999 are ours). A dashboard
 * should reconnect after 1001, 1011, 1013 and 4008 (with backoff), and not after 4001/4003.
 */
export const CLOSE_CODES = {
  /** The server is shutting down. */
  goingAway: 1001,
  /** A message larger than the limit (the ws library closes with it). */
  messageTooBig: 1009,
  /** Credentials could not be checked (the key store is unavailable). */
  internalError: 1011,
  /** This instance has as many connections as it accepts. */
  tryAgainLater: 1013,
  /** No valid credential: missing, unknown, revoked, or the first message was not `auth`. */
  unauthorized: 4001,
  /** No `auth` message within the time allowed. */
  authTimeout: 4002,
  /** A credential was put in the URL (`?token=`, `?apiKey=`...): refused, since URLs end up in logs. */
  credentialInUrl: 4003,
  /** The client reads too slowly: more than the buffer limit was waiting to be sent. */
  slowConsumer: 4008,
} as const;

export const publicApproval = (approval: Approval): PublicApproval => {
  const { env: _env, ...rest } = approval;
  return rest;
};
